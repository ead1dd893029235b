"""Rules and backtests in the analysts' workspace: the live rules with their thresholds, a
rule's edit form (its parameters drawn from the rule type's specs) and history, and
backtests of a draft rule set, whose page polls its own JSON until it is done."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, url_for

from ...domain.errors import BankError, RuleNotFound, ValidationFailed
from ...domain.monitoring.rules import RULE_TYPES
from ...domain.security import Permission
from ...services.monitoring import backtests, rules
from ..context import bank
from ..errors import status_of
from ..forms import FORM_STATUSES
from . import bp
from . import monitoring_json as mj
from .monitoring_forms import BacktestForm, ThresholdsForm, param_fields, rule_form
from .policy import actor, requires, staff_user
from .views import refused

MONITOR = Permission.MONITOR_TRANSACTIONS


def _rules_page(form: ThresholdsForm | None = None, status: int = 200) -> tuple[str, int]:
    current = rules.rule_set(bank(), staff_user())
    t = current.thresholds
    form = form or ThresholdsForm(
        formdata=None, review_at=str(t.review_at), block_at=str(t.block_at)
    )
    page = render_template(
        "staff/monitoring/rules.html", rule_set=current, form=form, types=RULE_TYPES
    )
    return page, status


@bp.get("/monitoring/rules")
@requires(MONITOR)
def rule_list() -> Any:
    return _rules_page()


@bp.post("/monitoring/thresholds")
@requires(MONITOR)
def thresholds() -> Any:
    form = ThresholdsForm()
    if not form.validate_on_submit():
        return _rules_page(form, 422 if form.errors else 200)
    try:
        new = rules.change_thresholds(
            bank(),
            staff_user(),
            review_at=_whole(form.review_at.data),
            block_at=_whole(form.block_at.data),
            actor=actor(),
        )
    except BankError as error:
        status = status_of(error)
        if status not in FORM_STATUSES:
            raise
        form.refuse(error)
        return _rules_page(form, status)
    flash(f"Thresholds saved: review at {new.review_at}, block at {new.block_at}.", "success")
    return redirect(url_for(".rule_list"))


def _whole(text: str | None) -> object:
    value = (text or "").strip()
    return int(value) if value.isdigit() else value


@bp.route("/monitoring/rules/<rule_id>", methods=["GET", "POST"])
@requires(MONITOR)
def edit_rule(rule_id: str) -> Any:
    rule = rules.rule_set(bank(), staff_user()).rule(rule_id)
    if rule is None:
        raise RuleNotFound("no such rule")
    form = rule_form(rule)
    page = {"rule": rule, "kind": RULE_TYPES[rule.type], "param_fields": param_fields(form)}
    if form.validate_on_submit():
        try:
            new = rules.change_rule(
                bank(),
                staff_user(),
                rule_id,
                params=form.params(),
                score=_whole(form.score.data),
                action=form.action.data,
                enabled=bool(form.enabled.data),
                actor=actor(),
            )
        except BankError as error:
            return refused(form, error, "staff/monitoring/rule.html", **page)
        flash(f"Saved {new.id}: now version {new.version}.", "success")
        return redirect(url_for(".rule_list"))
    return form.page("staff/monitoring/rule.html", **page)


@bp.get("/monitoring/rules/<rule_id>/history")
@requires(MONITOR)
def rule_history(rule_id: str) -> str:
    changes = [mj.change(c) for c in rules.history(bank(), staff_user(), rule_id)]
    return render_template("staff/monitoring/rule_history.html", rule_id=rule_id, changes=changes)


def _draft_text() -> str:
    """The live rules as a draft to edit: what a backtest runs if nothing is changed."""
    current = rules.rule_set(bank(), staff_user())
    draft = [
        {k: v for k, v in mj.rule(r).items() if k not in ("version", "updated_at", "updated_by")}
        for r in current.rules
    ]
    return json.dumps(draft, indent=2)


@bp.route("/monitoring/backtests", methods=["GET", "POST"])
@requires(MONITOR)
def backtest_new() -> Any:
    form = BacktestForm()
    if not form.is_submitted():
        today = bank().clock().date()
        form.since.data = (today - timedelta(days=30)).isoformat()
        form.until.data = today.isoformat()
        form.rules.data = _draft_text()
    if form.validate_on_submit():
        try:
            started = backtests.start(
                bank(),
                staff_user(),
                rules_given=_draft(form.rules.data),
                since=form.since.data,
                until=form.until.data,
                actor=actor(),
            )
        except BankError as error:
            return refused(form, error, "staff/monitoring/backtests.html")
        flash("Backtest queued: the worker runs it and this page follows it.", "success")
        return redirect(url_for(".backtest", backtest_id=started.id))
    return form.page("staff/monitoring/backtests.html")


def _draft(text: str | None) -> object:
    try:
        return json.loads(text or "")
    except ValueError as e:
        raise ValidationFailed({"rules": f"not valid JSON: {e}"}) from None


@bp.get("/monitoring/backtests/<backtest_id>")
@requires(MONITOR)
def backtest(backtest_id: str) -> str:
    found = mj.backtest(backtests.get(bank(), staff_user(), backtest_id))
    return render_template("staff/monitoring/backtest.html", backtest=found)


@bp.get("/monitoring/backtests/<backtest_id>/status.json")
@requires(MONITOR)
def backtest_json(backtest_id: str) -> Response:
    """What monitoring.js polls while the backtest runs."""
    return jsonify(mj.backtest(backtests.get(bank(), staff_user(), backtest_id)))
