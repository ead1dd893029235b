"""The compliance area: /staff/compliance (the review of a period: large cash, possible
structuring, KYC gaps, frozen accounts, with the corrective actions recorded against each
finding) and its twins in the staff API (/api/v1/staff/compliance...)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ...domain.compliance import (
    ACTION_MAX,
    CASH_REPORT_OVER,
    DEFAULT_DAYS,
    STRUCTURING_FROM,
    STRUCTURING_WINDOW_DAYS,
)
from ...domain.errors import ValidationFailed
from ...domain.money import Money
from ...domain.security import Permission
from ...services import compliance
from ..api import parse as p
from ..context import bank
from . import bp
from .api import api_bp, api_requires
from .compliance_forms import CorrectiveActionForm, PeriodForm
from .compliance_json import action_json, drill_params, review_json
from .policy import actor, requires, staff_user
from .reports import warehouse

RULES = {
    "cash_report_over": str(CASH_REPORT_OVER),
    "structuring_from": str(STRUCTURING_FROM),
    "structuring_window_days": STRUCTURING_WINDOW_DAYS,
}


def _today() -> date:
    return date.fromisoformat(bank().now()[:10])


@bp.get("/compliance")
@requires(Permission.REVIEW_COMPLIANCE)
def compliance_review() -> Any:
    form = PeriodForm(formdata=request.args)
    try:
        period = compliance.parse_period(request.args, _today())
        found = compliance.review(bank(), warehouse(), staff_user(), period)
    except ValidationFailed as error:
        return form.refused(error, "staff/compliance.html", review=None, **_words())
    form.first.data, form.last.data = period.first.isoformat(), period.last.isoformat()
    return render_template("staff/compliance.html", form=form, review=found, **_words())


def _words() -> dict[str, Any]:
    return {
        "rules": RULES,
        # For people, as amounts read elsewhere on the pages: 10,000.00.
        "over": f"{CASH_REPORT_OVER:,}",
        "near": f"{STRUCTURING_FROM:,}",
        "default_days": DEFAULT_DAYS,
        "max_action": ACTION_MAX,
        "action_form": CorrectiveActionForm,
        "shown": lambda minor, currency: Money.from_minor(minor, currency).display(),
        "drill": lambda found: f"{url_for('staff.entries')}?{urlencode(drill_params(found))}",
    }


@bp.post("/compliance/actions")
@requires(Permission.REVIEW_COMPLIANCE)
def record_corrective_action() -> WerkzeugResponse:
    form = CorrectiveActionForm()
    period = {k: v for k in ("from", "to") if (v := request.form.get(k, ""))}
    back = url_for(".compliance_review") + (f"?{urlencode(period)}" if period else "")
    if not form.validate_on_submit():
        flash("The page had expired, so the action was not recorded. Try again.", "error")
        return redirect(back)
    try:
        compliance.record_action(bank(), staff_user(), form.finding.data, form.text.data, actor())
    except ValidationFailed as error:
        flash(f"The corrective action was not recorded: {error.message}", "error")
        return redirect(back)
    flash("Corrective action recorded.", "success")
    return redirect(back)


@api_bp.get("/compliance")
@api_requires(Permission.REVIEW_COMPLIANCE)
def compliance_review_api() -> Response:
    period = compliance.parse_period(request.args, _today())
    found = compliance.review(bank(), warehouse(), staff_user(), period)
    return jsonify({"rules": RULES, **review_json(found)})


@api_bp.post("/compliance/actions")
@api_requires(Permission.REVIEW_COMPLIANCE)
def record_corrective_action_api() -> tuple[Response, int]:
    f = p.fields(p.json_object(), required=("finding", "text"))
    action = compliance.record_action(bank(), staff_user(), f["finding"], f["text"], actor())
    return jsonify(action_json(action)), 201
