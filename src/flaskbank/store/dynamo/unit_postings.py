"""A posting inside a unit of work on DynamoDB: its writes become actions of the unit's one
TransactWriteItems, so that it commits with what the use case writes beside it (an alert,
a profile, an audit entry) or not at all, as on SQLite.

Outside a unit a posting is its own TransactWriteItems and explains a cancellation itself,
retrying from fresh reads (postings.py). Inside one, nothing is sent before commit, so each
action says what its failed condition means: the domain's refusal when the account as the
condition found it refuses the leg, else WriteConflict, on which Bank.in_unit runs the
whole use case again from fresh reads (where a key used meanwhile then replays)."""

from __future__ import annotations

from ...domain.errors import BankError, HoldNotOpen, StoreError, WriteConflict
from ...domain.holds import Hold
from ...domain.ledger import Closing, Leg, Posting, PostResult
from . import events
from . import items as di
from .client import Dynamo, IfRefused
from .postings import Plan, _check, _freed, _seen, plan
from .unit import DynamoUnitOfWork

CHANGED = "another posting changed the account; try again"


def post_in_unit(
    db: Dynamo,
    unit: DynamoUnitOfWork,
    posting: Posting,
    read: dict[str, di.Item],
    releasing: Hold | None,
    counter: di.Item | None,
    closing: Closing | None = None,
) -> PostResult:
    planned = plan(db, posting, _seen(posting, read, releasing, counter), releasing, closing)
    if isinstance(planned, PostResult):
        return planned  # the key's earlier outcome: nothing to write
    unit.extend(zip(planned.writes, _meanings(planned, releasing), strict=True))
    for event in planned.events:
        events.join_unit(db, unit, event, planned.counter)
    return planned.result()


def _meanings(planned: Plan, releasing: Hold | None) -> list[IfRefused]:
    """What each of the plan's writes failing its condition means, in the plan's order."""
    meanings: list[IfRefused] = []
    for leg in planned.legs:
        meanings += [_leg(leg, releasing), WriteConflict(CHANGED)]
    txn = planned.posting.id
    meanings.append(StoreError(f"a transaction with id {txn} is already recorded"))
    if planned.posting.idempotency is not None:
        meanings.append(WriteConflict("the idempotency key was used meanwhile; try again"))
    if releasing is not None:
        meanings.append(HoldNotOpen("the hold was already resolved"))
    return meanings


def _leg(leg: Leg, releasing: Hold | None) -> IfRefused:
    def meaning(account: di.Item | None) -> BankError:
        _check(leg, account, _freed(leg, releasing))  # raises the refusal, if it is one
        return WriteConflict(CHANGED)

    return meaning
