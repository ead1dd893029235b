"""The analysts' workspace under /staff/monitoring: the live view, the alert queue and one
alert with its actions (fraud_analyst and admin). Rules and backtests are in
monitoring_setup.py.

The live view is polled, not pushed: static/monitoring.js asks live.json once a second. Each
poll is one short request that reads one key (the live board), so an open dashboard never
holds a worker the way a server-sent-events stream would, and the pages work without
JavaScript too (the server renders the first snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for

from ...domain.errors import AlertChanged, BankError, HoldNotOpen, Refusal
from ...domain.ledger import parse_utc_iso
from ...domain.security import Permission
from ...services.monitoring import alerts, casework, consumer, live
from ..context import bank
from ..errors import status_of
from ..filters import money
from ..forms import FORM_STATUSES
from . import bp
from .monitoring_forms import (
    STATUS_NAMES,
    AlertFilterForm,
    AlertFreezeForm,
    AssignForm,
    NoteForm,
    StatusForm,
    VersionedForm,
)
from .policy import actor, requires, staff_user
from .views import refused

MONITOR = Permission.MONITOR_TRANSACTIONS
CHART_MINUTES = 30
CHANGED = "Someone changed this alert since you opened it, so nothing was done. Here it is now."


@bp.app_template_filter("age")
def age(created_at: str) -> str:
    """How long ago, by the bank's clock, in the largest whole unit: "4 min ago"."""
    seconds = (bank().clock() - parse_utc_iso(created_at)).total_seconds()
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def _snapshot() -> dict[str, Any]:
    """The live board, each screened posting that opened an alert linked to it."""
    snapshot = live.snapshot(bank(), staff_user(), minutes=CHART_MINUTES)
    for item in snapshot["latest"]:
        opened = item.get("decision") != "approve" and item.get("transaction_id")
        item["alert_url"] = (
            url_for(".alert", alert_id=consumer.alert_id(str(item["transaction_id"])))
            if opened
            else None
        )
    return snapshot


def chart(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The last CHART_MINUTES minutes up to the snapshot, quiet ones as zeros (the board
    keeps only minutes that saw a posting); static/monitoring.js draws the same."""
    counts = {m["minute"]: m for m in snapshot["minutes"]}
    end = datetime.strptime(snapshot["as_of"][:16], "%Y-%m-%dT%H:%M")
    out = []
    for back in range(CHART_MINUTES - 1, -1, -1):
        key = (end - timedelta(minutes=back)).strftime("%Y-%m-%dT%H:%M")
        seen = counts.get(key, {})
        out.append(
            {"minute": key, "postings": seen.get("postings", 0), "alerts": seen.get("alerts", 0)}
        )
    return out


@bp.get("/monitoring")
@requires(MONITOR)
def monitoring() -> str:
    snapshot = _snapshot()
    return render_template("staff/monitoring/live.html", snapshot=snapshot, minutes=chart(snapshot))


@bp.get("/monitoring/live.json")
@requires(MONITOR)
def monitoring_live() -> Response:
    """What monitoring.js redraws the live view from, once a second."""
    return jsonify(_snapshot())


@bp.get("/monitoring/alerts")
@requires(MONITOR)
def alert_queue() -> Any:
    form = AlertFilterForm(formdata=request.args)
    cursor = request.args.get("cursor") or None
    page = {"cursor": cursor, "status_names": STATUS_NAMES}
    try:
        found = casework.worklist(
            bank(),
            staff_user(),
            status=form.status.data,
            rule=form.rule.data,
            since=form.since.data,
            until=form.until.data,
            customer_id=form.customer.data,
            severity=form.severity.data,
            assignee=form.assignee.data,
            sort=form.sort.data,
            cursor=cursor,
        )
    except BankError as error:
        return refused(form, error, "staff/monitoring/alerts.html", found=None, **page)
    return render_template("staff/monitoring/alerts.html", form=form, found=found, **page)


def _alert_page(alert_id: str, status: int = 200, **forms: Any) -> tuple[str, int]:
    found = casework.case(bank(), staff_user(), alert_id, actor())
    version = str(found.alert.version)
    forms = {
        "status_form": StatusForm(formdata=None, version=version),
        "assign_form": AssignForm(formdata=None, version=version),
        "note_form": NoteForm(formdata=None, version=version),
        "freeze_form": AlertFreezeForm(formdata=None, version=version),
        "hold_form": VersionedForm(formdata=None, version=version),
        **forms,
    }
    page = render_template(
        "staff/monitoring/alert.html", case=found, status_names=STATUS_NAMES, **forms
    )
    return page, status


@bp.get("/monitoring/alerts/<alert_id>")
@requires(MONITOR)
def alert(alert_id: str) -> Any:
    return _alert_page(alert_id)


def _act(alert_id: str, form: VersionedForm, name: str, action: Callable[[], str]) -> Any:
    """Run one action from the alert page: back to the alert with what was done, or with
    why not (409 when someone acted first), or the form again with the service's message."""
    if not form.validate_on_submit():  # (a missing CSRF token is refused before, with 400)
        return _alert_page(alert_id, 422, **{name: form})
    try:
        done = action()
    except (AlertChanged, HoldNotOpen) as error:
        flash(CHANGED if isinstance(error, AlertChanged) else _hold_message(), "error")
        return _alert_page(alert_id, 409)
    except Refusal as error:  # a held transfer the recipient cannot take now
        flash(f"Not done: {error.message}", "error")
        return _alert_page(alert_id, 422)
    except BankError as error:
        if status_of(error) not in FORM_STATUSES:  # a 403 or 404 is its own page
            raise
        form.refuse(error)
        return _alert_page(alert_id, 422, **{name: form})
    flash(done, "success")
    return redirect(url_for(".alert", alert_id=alert_id))


def _hold_message() -> str:
    return "Someone decided on the held transfer first (or it lapsed); nothing was done."


@bp.post("/monitoring/alerts/<alert_id>/status")
@requires(MONITOR)
def alert_status(alert_id: str) -> Any:
    form = StatusForm()

    def change() -> str:
        updated = alerts.update(
            bank(),
            staff_user(),
            alert_id,
            status=form.status.data or None,
            version=form.seen_version,
            actor=actor(),
        )
        return f"The alert is now: {STATUS_NAMES[updated.status]}."

    return _act(alert_id, form, "status_form", change)


@bp.post("/monitoring/alerts/<alert_id>/assign")
@requires(MONITOR)
def alert_assign(alert_id: str) -> Any:
    form = AssignForm()

    def assign() -> str:
        updated = alerts.update(
            bank(),
            staff_user(),
            alert_id,
            assignee=form.assignee.data or "",
            version=form.seen_version,
            actor=actor(),
        )
        return f"Assigned to {updated.assignee}." if updated.assignee else "Unassigned."

    return _act(alert_id, form, "assign_form", assign)


@bp.post("/monitoring/alerts/<alert_id>/note")
@requires(MONITOR)
def alert_note(alert_id: str) -> Any:
    form = NoteForm()

    def note() -> str:
        alerts.update(
            bank(),
            staff_user(),
            alert_id,
            note=form.note.data or "",
            version=form.seen_version,
            actor=actor(),
        )
        return "Added the note."

    return _act(alert_id, form, "note_form", note)


@bp.post("/monitoring/alerts/<alert_id>/freeze")
@requires(MONITOR, Permission.FREEZE_ACCOUNTS)
def alert_freeze(alert_id: str) -> Any:
    form = AlertFreezeForm()

    def freeze() -> str:
        alerts.freeze_account(
            bank(),
            staff_user(),
            alert_id,
            form.reason.data or "",
            actor(),
            version=form.seen_version,
        )
        return "Froze the account."

    return _act(alert_id, form, "freeze_form", freeze)


@bp.post("/monitoring/alerts/<alert_id>/release")
@requires(MONITOR, Permission.HOLD_FUNDS)
def alert_release(alert_id: str) -> Any:
    form = VersionedForm()

    def release() -> str:
        done = alerts.release_transfer(
            bank(), staff_user(), alert_id, actor(), version=form.seen_version
        )
        return f"Released the held transfer ({money(done.amount)}): it was sent."

    return _act(alert_id, form, "hold_form", release)


@bp.post("/monitoring/alerts/<alert_id>/reject")
@requires(MONITOR, Permission.HOLD_FUNDS)
def alert_reject(alert_id: str) -> Any:
    form = VersionedForm()

    def reject() -> str:
        done = alerts.reject_transfer(
            bank(), staff_user(), alert_id, actor(), version=form.seen_version
        )
        return f"Rejected the held transfer ({money(done.amount)}): nothing moved."

    return _act(alert_id, form, "hold_form", reject)
