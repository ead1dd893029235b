"""Customers' own activity in the audit log: money moved (deposits, withdrawals,
transfers), accounts opened and profile changes, copied from the event feed by the worker.

Why from the feed, not a second write per posting: every posting already writes its event
in the same atomic step as the money (store/base.py), so the feed is the complete record of
what moved; writing an audit line too would add an item to every posting's transaction
(DynamoDB's limit and cost, on the hottest path) for a record the feed already holds. The
copy is exactly once: a batch's audit lines and the consumer's checkpoint commit in one unit
of work, conditional on the checkpoint's version, and each line's id follows from its
event's, so that a batch is never written twice. Lines appear within seconds (the worker's
tick), dated when the event happened; events carry no client address, so `ip` is empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from ..domain.chart import is_internal
from ..domain.events import Event, EventKind, JsonValue
from ..domain.identity import email_key
from ..domain.security import AuditAction, AuditEvent
from .bank import Bank

NAME = "audit-trail"
#: Events per batch: with the checkpoint, well inside DynamoDB's 100 items per transaction.
BATCH = 80
_IDS = uuid.UUID("6d1c3c58-5b1e-4c7e-9a43-2f0f3d6b7a11")
_POSTED = {
    "deposit": AuditAction.MONEY_DEPOSITED,
    "withdrawal": AuditAction.MONEY_WITHDRAWN,
    "transfer": AuditAction.MONEY_TRANSFERRED,
}


def catch_up(bank: Bank, *, batches: int = 10) -> int:
    """Copy the feed's customer activity into the audit log until caught up (or `batches`
    batches, so that one worker tick stays short); returns how many events were read."""
    done = 0
    for _ in range(batches):
        read = bank.in_unit(lambda: _one_batch(bank))
        done += read
        if read < BATCH:
            break
    return done


def _one_batch(bank: Bank) -> int:
    events = bank.store.events
    at = events.checkpoint(NAME)
    page = events.read(after=at.position, limit=BATCH)
    emails: dict[str, str] = {}
    for event in page.events:
        line = audit_line(event, lambda actor: _email_of(bank, actor, emails))
        if line is not None:
            bank.store.audit.append_audit(line)
    if page.events:
        events.save_checkpoint(NAME, page.checkpoint, version=at.version)
    return len(page.events)


def _email_of(bank: Bank, actor: str, known: dict[str, str]) -> str:
    if actor not in known:
        user = bank.store.users.get_user(actor)
        known[actor] = email_key(user.email) if user else actor
    return known[actor]


def audit_line(event: Event, email_of: Callable[[str], str]) -> AuditEvent | None:
    """The audit line for a customer-activity event, or None for any other kind (staff
    actions and security events are audited where they happen)."""
    action, details = _described(event.kind, event.subject, event.payload)
    if action is None:
        return None
    return AuditEvent(
        str(uuid.uuid5(_IDS, event.id)),
        event.at,
        action,
        event.actor,
        email_of(event.actor),
        "",
        event.subject,
        details,
    )


def _described(
    kind: EventKind, subject: str, payload: Mapping[str, JsonValue]
) -> tuple[AuditAction | None, dict[str, str]]:
    if kind is EventKind.TRANSACTION_POSTED:
        action = _POSTED.get(str(payload.get("type")))
        details = {"amount": f"{payload.get('amount')} {payload.get('currency')}"}
        if payload.get("memo"):
            details["memo"] = str(payload["memo"])
        legs = payload.get("legs")
        if action is AuditAction.MONEY_TRANSFERRED and isinstance(legs, list):
            others = [
                str(leg.get("account_id"))
                for leg in legs
                if isinstance(leg, dict)
                and leg.get("account_id") != subject
                and not is_internal(str(leg.get("account_id")))
            ]
            if others:
                details["to_account"] = others[0]
        return action, details
    if kind is EventKind.ACCOUNT_OPENED:
        return AuditAction.ACCOUNT_OPENED, {
            "number": str(payload.get("number", "")),
            "type": str(payload.get("type", "")),
        }
    if kind is EventKind.PROFILE_CHANGED:
        changed = [k for k in ("full_name", "email") if k in payload]
        details_changed = payload.get("details")
        if isinstance(details_changed, list):
            changed += [str(d) for d in details_changed]
        return AuditAction.PROFILE_CHANGED, {"changed": ", ".join(changed)}
    return None, {}
