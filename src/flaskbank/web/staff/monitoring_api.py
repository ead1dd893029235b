"""Monitoring in the staff JSON API (under /api/v1/staff): the alert queue and its actions,
the rules, backtests and the live board. fraud_analyst and admin (MONITOR_TRANSACTIONS);
releasing or rejecting a held transfer and freezing also need their own permissions, which
those roles have."""

from __future__ import annotations

from flask import Response, jsonify, request

from ...domain.errors import ValidationFailed
from ...domain.security import Permission
from ...services import holds
from ...services.monitoring import alerts, backtests, live, rules
from ..api import parse as p
from ..api import serialize
from ..context import bank
from . import monitoring_json as mj
from .api import api_bp, api_requires
from .policy import actor, staff_user

MONITOR = Permission.MONITOR_TRANSACTIONS


@api_bp.get("/alerts")
@api_requires(MONITOR)
def alert_queue() -> Response:
    args = request.args
    page = alerts.queue(
        bank(),
        staff_user(),
        alerts.AlertQuery(
            status=alerts.status_of(args.get("status")),
            rule=args.get("rule") or None,
            since=args.get("since") or None,
            until=args.get("until") or None,
            customer_id=args.get("customer") or None,
            limit=_limit(args.get("limit")),
            cursor=args.get("cursor") or None,
        ),
    )
    return jsonify({"items": [mj.alert(a) for a in page.items], "next_cursor": page.next_cursor})


def _limit(text: str | None) -> int:
    if text in (None, ""):
        return 50
    if not text.isdigit():
        raise ValidationFailed({"limit": f"a whole number from 1 to {alerts.PAGE_MAX}"})
    return int(text)


@api_bp.get("/alerts/<alert_id>")
@api_requires(MONITOR)
def one_alert(alert_id: str) -> Response:
    return jsonify(mj.alert(alerts.get(bank(), staff_user(), alert_id)))


@api_bp.patch("/alerts/<alert_id>")
@api_requires(MONITOR)
def change_alert(alert_id: str) -> Response:
    """{status?, assignee?, note?, version?}: 409 when someone changed or closed it since."""
    body = p.json_object()
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationFailed({"version": "the alert's version as a whole number"})
    f = p.fields(body, optional=("status", "assignee", "note"))
    updated = alerts.update(bank(), staff_user(), alert_id, **f, version=version, actor=actor())
    return jsonify(mj.alert(updated))


@api_bp.post("/alerts/<alert_id>/freeze")
@api_requires(MONITOR, Permission.FREEZE_ACCOUNTS)
def freeze_from_alert(alert_id: str) -> Response:
    f = p.fields(p.json_object(), required=("reason",))
    alerts.freeze_account(bank(), staff_user(), alert_id, f["reason"], actor())
    return jsonify(mj.alert(alerts.get(bank(), staff_user(), alert_id)))


@api_bp.post("/holds/<hold_id>/release")
@api_requires(Permission.HOLD_FUNDS)
def release_by_id(hold_id: str) -> Response:
    """Post a held transfer (or lift a staff hold); 409 when it was resolved already."""
    done = holds.release_by_id(bank(), staff_user(), hold_id, actor())
    return jsonify(serialize.hold(done))


@api_bp.post("/holds/<hold_id>/void")
@api_requires(Permission.HOLD_FUNDS)
def void_by_id(hold_id: str) -> Response:
    """Reject a held transfer (nothing moves); 409 when it was resolved already."""
    return jsonify(serialize.hold(holds.void_by_id(bank(), staff_user(), hold_id, actor())))


@api_bp.get("/rules")
@api_requires(MONITOR)
def rule_list() -> Response:
    return jsonify(mj.rule_set(rules.rule_set(bank(), staff_user())))


@api_bp.put("/rules/<rule_id>")
@api_requires(MONITOR)
def change_rule(rule_id: str) -> Response:
    """{params?, score?, action?, enabled?}: the rule at its new version."""
    body = p.json_object()
    new = rules.change_rule(
        bank(),
        staff_user(),
        rule_id,
        params=body.get("params"),
        score=body.get("score"),
        action=body.get("action"),
        enabled=body.get("enabled"),
        actor=actor(),
    )
    return jsonify(mj.rule(new))


@api_bp.get("/rules/<rule_id>/history")
@api_requires(MONITOR)
def rule_history(rule_id: str) -> Response:
    found = rules.history(bank(), staff_user(), rule_id)
    return jsonify({"items": [mj.change(c) for c in found]})


@api_bp.put("/thresholds")
@api_requires(MONITOR)
def change_thresholds() -> Response:
    body = p.json_object()
    new = rules.change_thresholds(
        bank(),
        staff_user(),
        review_at=body.get("review_at"),
        block_at=body.get("block_at"),
        actor=actor(),
    )
    return jsonify({"review_at": new.review_at, "block_at": new.block_at, "version": new.version})


@api_bp.post("/backtests")
@api_requires(MONITOR)
def start_backtest() -> Response:
    """{rules?, thresholds?, since, until}: 202 with {id}; poll GET /backtests/{id}."""
    body = p.json_object()
    started = backtests.start(
        bank(),
        staff_user(),
        rules_given=body.get("rules"),
        thresholds=body.get("thresholds"),
        since=body.get("since"),
        until=body.get("until"),
        actor=actor(),
    )
    response = jsonify({"id": started.id, "status": started.status})
    response.status_code = 202
    return response


@api_bp.get("/backtests/<backtest_id>")
@api_requires(MONITOR)
def one_backtest(backtest_id: str) -> Response:
    return jsonify(mj.backtest(backtests.get(bank(), staff_user(), backtest_id)))


@api_bp.get("/monitoring/live")
@api_requires(MONITOR)
def live_board() -> Response:
    """The live board (postings, alerts and top rules per minute; the latest screened
    postings): one key read, polled by the monitoring page every second."""
    response = jsonify(live.snapshot(bank(), staff_user()))
    response.headers["Cache-Control"] = "no-store"
    return response
