"""An analyst's work on alerts: the queue, one alert, and its actions (assign, note, change
status, close with an outcome; release or reject the held transfer; freeze the account).

Every change is saved on the version the analyst read: when two analysts act on one alert at
once, one wins and the other is told (AlertChanged, 409), so an alert is resolved exactly
once. Every action is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...domain.accounts import User
from ...domain.errors import AlertChanged, AlertNotFound, StaleRecord, ValidationFailed
from ...domain.holds import Hold
from ...domain.monitoring.model import Alert, AlertNote, AlertStatus
from ...domain.security import AuditAction, Permission
from ...store.base import Page
from .. import holds, staff
from ..audit import Actor, record
from ..bank import Bank
from ..permissions import require

NOTE_MAX = 2000
PAGE_MAX = 200


@dataclass(frozen=True, slots=True)
class AlertQuery:
    status: AlertStatus | None = None
    rule: str | None = None
    since: str | None = None
    until: str | None = None
    customer_id: str | None = None
    limit: int = 50
    cursor: str | None = None


def queue(bank: Bank, analyst: User, query: AlertQuery) -> Page[Alert]:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    if not 1 <= query.limit <= PAGE_MAX:
        raise ValidationFailed({"limit": f"1 to {PAGE_MAX}"})
    return bank.store.monitoring.alerts(
        limit=query.limit,
        cursor=query.cursor,
        status=query.status,
        rule=query.rule,
        since=query.since,
        until=query.until,
        customer_id=query.customer_id,
    )


def status_of(text: object) -> AlertStatus | None:
    if text in (None, ""):
        return None
    try:
        return AlertStatus(str(text))
    except ValueError:
        choices = ", ".join(s.value for s in AlertStatus)
        raise ValidationFailed({"status": f"one of {choices}"}) from None


def get(bank: Bank, analyst: User, alert_id: str) -> Alert:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    alert = bank.store.monitoring.get_alert(alert_id)
    if alert is None:
        raise AlertNotFound("no such alert")
    return alert


def update(
    bank: Bank,
    analyst: User,
    alert_id: str,
    *,
    status: object = None,
    assignee: object = None,
    note: object = None,
    version: int | None = None,
    actor: Actor,
) -> Alert:
    """Change the alert's status, assignee (an email, "" to unassign) or add a note; given
    `version`, only if the alert is still as the analyst saw it."""
    alert = _as_seen(bank, analyst, alert_id, version)
    changes = _changes(alert, analyst, status_of(status), assignee, note, bank.now())
    return _save(bank, alert, changes, actor)


def _changes(
    alert: Alert,
    analyst: User,
    status: AlertStatus | None,
    assignee: object,
    note: object,
    at: str,
) -> dict[str, object]:
    changes: dict[str, object] = {}
    if status is not None and status is not alert.status:
        if alert.status.is_closed:
            raise AlertChanged("this alert is closed already")
        changes["status"] = status
        if status.is_closed:
            changes["closed_at"] = at
            changes["closed_by"] = analyst.email
    if assignee is not None:
        if not isinstance(assignee, str) or len(assignee) > 254:
            raise ValidationFailed({"assignee": "give a staff member's email, or nothing"})
        changes["assignee"] = assignee.strip().lower() or None
    if note is not None:
        text = " ".join(note.split()) if isinstance(note, str) else ""
        if not text or len(text) > NOTE_MAX:
            raise ValidationFailed({"note": f"1 to {NOTE_MAX} characters"})
        changes["notes"] = (*alert.notes, AlertNote(at, analyst.email, text))
    if not changes:
        raise ValidationFailed({"status": "change the status or the assignee, or add a note"})
    return changes


def _save(bank: Bank, alert: Alert, changes: dict[str, object], actor: Actor) -> Alert:
    updated = replace(alert, **changes, version=alert.version + 1)  # type: ignore[arg-type]

    def save() -> Alert:
        saved = bank.store.monitoring.save_alert(updated)
        details = {k: _text(v) for k, v in changes.items() if k != "notes"}
        if "notes" in changes:
            details["note"] = updated.notes[-1].text
        record(bank, actor, AuditAction.ALERT_UPDATED, alert.id, **details)
        return saved

    try:
        return bank.in_unit(save)
    except StaleRecord:
        raise AlertChanged("someone changed this alert at the same time; reload it") from None


def _text(value: object) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def release_transfer(
    bank: Bank, analyst: User, alert_id: str, actor: Actor, *, version: int | None = None
) -> Hold:
    """Let the held transfer go: it is posted as the customer asked."""
    alert = _held(bank, analyst, alert_id, version)
    assert alert.hold_id is not None  # noqa: S101 - _held checked it
    done = holds.release(bank, analyst, alert.account_id, alert.hold_id, actor)
    _note(bank, analyst, alert, "released the held transfer", actor)
    return done


def reject_transfer(
    bank: Bank, analyst: User, alert_id: str, actor: Actor, *, version: int | None = None
) -> Hold:
    """Stop the held transfer: the reservation is dropped and nothing moves."""
    alert = _held(bank, analyst, alert_id, version)
    assert alert.hold_id is not None  # noqa: S101 - _held checked it
    done = holds.void(bank, analyst, alert.account_id, alert.hold_id, actor)
    _note(bank, analyst, alert, "rejected the held transfer", actor)
    return done


def freeze_account(
    bank: Bank,
    analyst: User,
    alert_id: str,
    reason: object,
    actor: Actor,
    *,
    version: int | None = None,
) -> None:
    alert = _as_seen(bank, analyst, alert_id, version)
    staff.set_frozen(bank, analyst, alert.account_id, frozen=True, reason=reason, actor=actor)
    _note(bank, analyst, alert, f"froze the account: {reason}", actor)


def _as_seen(bank: Bank, analyst: User, alert_id: str, version: int | None) -> Alert:
    """The alert, if it is still at `version` (when given): an action taken on what the
    analyst read, not on what someone else has made of it since."""
    alert = get(bank, analyst, alert_id)
    if version is not None and version != alert.version:
        raise AlertChanged("someone changed this alert since you opened it; reload it")
    return alert


def _held(bank: Bank, analyst: User, alert_id: str, version: int | None = None) -> Alert:
    alert = _as_seen(bank, analyst, alert_id, version)
    if alert.hold_id is None:
        raise ValidationFailed({"alert": "this alert holds no transfer"})
    return alert


def _note(bank: Bank, analyst: User, alert: Alert, text: str, actor: Actor) -> None:
    """Write down on the alert what was done from it (the action itself is audited too)."""
    fresh = get(bank, analyst, alert.id)
    _save(bank, fresh, _changes(fresh, analyst, None, None, text, bank.now()), actor)
