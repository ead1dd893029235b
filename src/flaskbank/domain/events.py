"""Domain events: what happened in the bank, one fact each, in the order the feed gives them.

Every use case that changes state writes its events in the same unit of work as the change
(the store's post path writes a posting's own), so an event is stored if and only if its
change is. Consumers (warehouse, monitoring, compliance) read the feed from a checkpoint.

A payload is JSON-safe: text, whole numbers, booleans, None, and lists and objects of those.
Amounts are text ("12.34"), never floats or Decimals, so that every reader parses them the
one way (Money.of). Standard library only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from .holds import Hold, HoldStatus
from .ledger import Posting

#: What the payload of an event may hold.
JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
#: Event ids of postings follow from the transaction id (one posting event per transaction),
#: so that a store's retry of the same posting writes an event with the same id.
_POSTED = uuid.UUID("6c1b8d38-5d0e-4f5e-9a43-52a1f3f0e0a7")
_POSTED_BYTES = _POSTED.bytes
#: Likewise a hold's events follow from the hold and what happened to it.
_HOLDS = uuid.UUID("0b7e3f4c-2a8d-4c61-8f0e-7d5a9c1e2b34")


class EventKind(StrEnum):
    # money and accounts
    TRANSACTION_POSTED = "transaction_posted"
    ACCOUNT_OPENED = "account_opened"
    ACCOUNT_STATUS_CHANGED = "account_status_changed"
    POSTING_BLOCKED = "posting_blocked"  # monitoring refused it; nothing moved
    HOLD_PLACED = "hold_placed"
    HOLD_RELEASED = "hold_released"
    HOLD_VOIDED = "hold_voided"
    HOLD_EXPIRED = "hold_expired"
    STANDING_ORDER_CREATED = "standing_order_created"
    STANDING_ORDER_CANCELLED = "standing_order_cancelled"
    STANDING_ORDER_RUN = "standing_order_run"  # paid, pending or failed (its transfer has its own)
    # people
    USER_REGISTERED = "user_registered"
    PROFILE_CHANGED = "profile_changed"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGED = "email_changed"
    ROLE_CHANGED = "role_changed"
    # security
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    # monitoring
    BACKTEST_REQUESTED = "backtest_requested"  # the worker runs it (services/monitoring)
    # a staff action that no kind above describes (ending a user's sessions, unlocking a login)
    STAFF_ACTION = "staff_action"


@dataclass(frozen=True, slots=True)
class Event:
    """One fact. `subject` is the account or user it is about (for a login that failed on an
    unknown email, the email as typed, lower-cased); `actor` who caused it (a user id, or
    for someone not signed in the email they typed, or "cli"); `position` where the store
    put it in the feed, empty until stored."""

    id: str
    kind: EventKind
    subject: str
    actor: str
    at: str  # ISO 8601 UTC, as every time in the bank
    payload: Mapping[str, JsonValue]
    position: str = ""

    def __post_init__(self) -> None:
        check_json_safe(dict(self.payload), "payload")


class StoredEvent(NamedTuple):
    """An event as the feed keeps it: the payload still the JSON text it was stored as.
    For a consumer that reads the whole feed and hands payloads to something that parses
    them faster than Python does (the warehouse's sync: DuckDB parses JSON in bulk)."""

    kind: str
    subject: str
    at: str
    payload: str  # JSON text, written from a checked Event
    position: str


def check_json_safe(value: object, where: str) -> None:
    """Refuse what JSON would not carry exactly: floats, Decimals, Money and other objects
    (bool is an int, and allowed)."""
    if not _plain(value):
        _explain(value, where)


def _plain(value: object) -> bool:
    """True for text, integers, booleans and None, in lists, tuples and text-keyed dicts, of
    exactly those types: every posting's event is checked (a bulk load's too), and this pass
    makes no path names and asks no isinstance. False sends a value to `_explain`, which
    also accepts subclasses, and otherwise names what is wrong and where."""
    t = type(value)
    if t is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                return False
            t = type(item)
            if not (t is str or t is int or t is bool or item is None or _plain(item)):
                return False
        return True
    if t is list or t is tuple:
        for item in value:  # type: ignore[attr-defined]
            t = type(item)
            if not (t is str or t is int or t is bool or item is None or _plain(item)):
                return False
        return True
    return t is str or t is int or t is bool or value is None


def _explain(value: object, where: str) -> None:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the common case, first
        return
    if isinstance(value, str | int):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            t = type(item)
            if not (t is str or t is int or t is bool or item is None):
                _explain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be text, not {key!r}")
            t = type(item)
            if not (t is str or t is int or t is bool or item is None):
                _explain(item, f"{where}.{key}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-safe; write amounts as text")


def transaction_posted(posting: Posting) -> Event:
    """The event a store writes with a posting, in the same atomic write. Its subject is the
    first leg's account (the sender of a transfer, the customer's side of a deposit or a
    withdrawal); every leg is in the payload."""
    return _posted(posting, posted_id(posting.id))


def _posted_sha1(transaction_id: str) -> str:
    """The SHA-1 (hex) both posted-event ids are spelled from: uuid5's, in _POSTED's space."""
    return hashlib.sha1(_POSTED_BYTES + transaction_id.encode(), usedforsecurity=False).hexdigest()


def posted_id(transaction_id: str) -> str:
    """The id of transaction_posted's event: it follows from the transaction's. It is
    str(uuid.uuid5(_POSTED, transaction_id)), spelled from the SHA-1 as uuid5 makes it
    (version 5, RFC 4122 variant) without two UUID objects: a third of the time."""
    x = _posted_sha1(transaction_id)
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:32]}"


#: An event's fields in the order of Event's: id, kind, subject, actor, at, payload.
EventFields = tuple[str, "EventKind", str, str, str, Mapping[str, JsonValue]]


def _posted(posting: Posting, event_id: str) -> Event:
    return Event(*_posted_fields(posting, event_id))


def _posted_fields(posting: Posting, event_id: str) -> EventFields:
    payload: dict[str, JsonValue] = {
        "transaction_id": posting.id,
        "type": posting.type.value,
        "amount": str(posting.amount),
        "currency": posting.amount.currency,
        "memo": posting.memo,
        "legs": [{"account_id": leg.account_id, "amount": str(leg.amount)} for leg in posting.legs],
    }
    if posting.screening is not None:
        payload["screening"] = _json(posting.screening)
    if posting.closes:  # the bank's closing payout: replays must not score it (none did live)
        payload["closes"] = posting.closes
    return (
        event_id,
        EventKind.TRANSACTION_POSTED,
        posting.legs[0].account_id,
        posting.initiated_by,
        posting.created_at,
        payload,
    )


def posting_blocked(posting: Posting) -> Event:
    """The record of an attempt that monitoring blocked: what was tried, by whom, and the
    verdict (posting.screening). Nothing moved; its id follows from the attempt's."""
    return Event(
        id=str(uuid.uuid5(_POSTED, f"blocked:{posting.id}")),
        kind=EventKind.POSTING_BLOCKED,
        subject=posting.legs[0].account_id,
        actor=posting.initiated_by,
        at=posting.created_at,
        payload={
            "transaction_id": posting.id,
            "type": posting.type.value,
            "amount": str(posting.amount),
            "currency": posting.amount.currency,
            "legs": [
                {"account_id": leg.account_id, "amount": str(leg.amount)} for leg in posting.legs
            ],
            "screening": _json(posting.screening or {}),
        },
    )


def _json(value: Mapping[str, object]) -> dict[str, JsonValue]:
    """A posting's screening as payload: checked JSON-safe when the event is made."""
    return dict(value)  # type: ignore[arg-type]


def transaction_posted_in_time(posting: Posting) -> Event:
    """transaction_posted, for a bulk load: the same event but for its id, which for a
    transaction id that leads with its time (a UUID 7, as generated transactions have) leads
    with the same time, so that a load writing events in time order writes their ids in
    order too. It still follows from the transaction id alone: a replayed batch writes the
    same ids."""
    return Event(*transaction_posted_fields(posting))


def transaction_posted_fields(posting: Posting) -> EventFields:
    """transaction_posted_in_time's fields, without making the Event: a store that writes
    them as a row, a million times in a load, skips re-checking a payload that is text by
    construction (a third of the event's cost)."""
    return _posted_fields(posting, posted_id_in_time(posting.id))


def posted_id_in_time(transaction_id: str) -> str:
    """The id of transaction_posted_in_time's event."""
    tid = transaction_id
    if len(tid) != 36 or tid[14] != "7":
        return posted_id(tid)
    x = _posted_sha1(tid)
    return f"{tid[:19]}{'89ab'[int(x[0], 16) & 3]}{x[1:4]}-{x[4:16]}"


_RESOLVED = {
    HoldStatus.RELEASED: EventKind.HOLD_RELEASED,
    HoldStatus.VOIDED: EventKind.HOLD_VOIDED,
    HoldStatus.EXPIRED: EventKind.HOLD_EXPIRED,
}


def hold_placed(hold: Hold) -> Event:
    return _hold_event(hold, EventKind.HOLD_PLACED, hold.placed_by, hold.placed_at)


def hold_resolved(hold: Hold) -> Event:
    """The event of a hold as resolved (released, voided or expired); for a pending transfer
    that was released, the store writes it with the posting, in the same atomic write."""
    if hold.status not in _RESOLVED or hold.resolved_by is None or hold.resolved_at is None:
        raise ValueError(f"hold {hold.id} is not resolved")
    return _hold_event(hold, _RESOLVED[hold.status], hold.resolved_by, hold.resolved_at)


def _hold_event(hold: Hold, kind: EventKind, actor: str, at: str) -> Event:
    payload: dict[str, JsonValue] = {
        "hold_id": hold.id,
        "kind": hold.kind.value,
        "amount": str(hold.amount),
        "currency": hold.amount.currency,
        "reason": hold.reason,
        "expires_at": hold.expires_at,
    }
    if hold.posting is not None:  # a pending transfer: what a release posts, and to whom
        payload["transaction_id"] = hold.posting.id
        if hold.posting.screening is not None and kind is EventKind.HOLD_PLACED:
            payload["screening"] = _json(hold.posting.screening)
        payload["to_account_id"] = next(
            leg.account_id for leg in hold.posting.legs if leg.amount.is_positive()
        )
    return Event(
        id=str(uuid.uuid5(_HOLDS, f"{hold.id}:{kind.value}")),
        kind=kind,
        subject=hold.account_id,
        actor=actor,
        at=at,
        payload=payload,
    )
