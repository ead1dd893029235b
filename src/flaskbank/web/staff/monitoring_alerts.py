"""The alert queue and one alert with its actions, in the analysts' workspace
(fraud_analyst and admin). The live view is in monitoring_live.py; rules and backtests in
monitoring_setup.py. Every action is sent with the alert's version as the analyst read it:
whoever comes second is told (409) instead of overwriting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ...domain.errors import AlertChanged, BankError, HoldNotOpen, Refusal
from ...domain.security import Permission
from ...services.monitoring import alerts, casework
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
CHANGED = "Someone changed this alert since you opened it, so nothing was done. Here it is now."


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
