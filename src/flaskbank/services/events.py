"""The event feed from the services' side: the one way a use case records what happened (in
its unit of work, beside the change), and the read behind `flaskbank events tail`."""

from __future__ import annotations

from ..domain.errors import ValidationFailed
from ..domain.events import Event, EventKind, JsonValue
from ..domain.ledger import new_id
from ..store.base import EventPage
from .audit import Actor
from .bank import Bank

READ_MAX = 1000


def emit(
    bank: Bank, kind: EventKind, subject: str, actor: Actor | str, **payload: JsonValue
) -> None:
    """Append an event about `subject`; inside `bank.in_unit`, it commits with the change."""
    who = actor if isinstance(actor, str) else actor.user_id or actor.email
    bank.store.events.append(Event(new_id(), kind, subject, who, bank.now(), payload))


def read_feed(bank: Bank, *, after: str | None, limit: int) -> EventPage:
    """Up to `limit` events after the checkpoint `after`, and the checkpoint to go on from."""
    if not 1 <= limit <= READ_MAX:
        raise ValidationFailed({"limit": f"1 to {READ_MAX}"})
    return bank.store.events.read(after=after or None, limit=limit)
