"""The posting path on DynamoDB: one posting as one TransactWriteItems, and why a cancelled one was
refused.

A posting starts from the customer account items as this thread last read them (the
ledger port keeps them from read_for_posting and get_account, with their versions), or
else reads them (and the idempotency record) in
one strongly consistent BatchGetItem; it computes every balance after and writes in one
TransactWriteItems: each account update is conditional on the version it started from, so
any change to one of them since cancels the whole transaction, and the next attempt reads
afresh. The bank's internal accounts (the vault's cash, income, ...) are never read or
written: they keep no balance, and their legs live only on the transaction header, so none
of them is a hot item. The posting's event and the move of its feed shard's counter
(events.py) are two more actions of the same transaction; the counter is read in the same
BatchGetItem as the accounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from ...domain.accounts import AccountStatus, AccountType
from ...domain.chart import Standing, check_leg, is_internal, policy_of
from ...domain.errors import (
    NOT_EMPTY,
    AccountNotEmpty,
    AccountNotFound,
    AccountNotOpen,
    HoldNotOpen,
    InsufficientFunds,
    StoreError,
    WriteConflict,
    refusal,
)
from ...domain.events import Event, hold_resolved, transaction_posted
from ...domain.holds import Hold
from ...domain.ledger import (
    Closing,
    Earlier,
    IdempotencyKey,
    Leg,
    Posting,
    PostResult,
    Transaction,
    recorded,
    replay_posting,
)
from ...domain.money import Money
from ...retry import retrying
from . import events
from . import items as di
from .client import BUSY, CANCELLED, Dynamo, Refused
from .hold_items import close, to_hold

CHECK_FAILED = "ConditionalCheckFailed"


def post(
    db: Dynamo,
    posting: Posting,
    read: dict[str, di.Item],
    releasing: Hold | None = None,
    counter: di.Item | None = None,
    closing: Closing | None = None,
) -> PostResult:
    """`read`: account items as this thread last read them, and `counter` the event feed's
    counter read with them; the first attempt writes on them when they cover the posting,
    and a retry reads again. `releasing`: the pending transfer's hold (resolved) that this
    posting releases in the same write; `closing`: the account it empties and closes."""
    return retrying(
        lambda n: _attempt(
            db,
            posting,
            _seen(posting, read, releasing, counter) if n == 0 else None,
            releasing,
            closing,
        )
    )


def _freed(leg: Leg, releasing: Hold | None) -> int:
    """What the release frees on this leg's account: it no longer holds against the debit."""
    if releasing is None or releasing.account_id != leg.account_id:
        return 0
    return releasing.amount.minor


def _seen(
    posting: Posting, read: dict[str, di.Item], releasing: Hold | None, counter: di.Item | None
) -> tuple[dict[str, di.Item], di.Item] | None:
    """The items the posting's accounts were read as, if every customer account it touches
    was read and they allow the posting; else None, and the attempt reads them itself (only
    the current state may refuse a posting, not an old copy)."""
    if counter is None or counter["pk"] != events.counter_key(_shard(posting))["pk"]:
        return None
    seen = {leg.account_id: read[leg.account_id] for leg in posting.legs if leg.account_id in read}
    for leg in posting.legs:
        if is_internal(leg.account_id):
            continue
        try:
            _check(leg, seen.get(leg.account_id), _freed(leg, releasing))
        except (AccountNotFound, AccountNotOpen, InsufficientFunds):
            return None
    return seen, counter


def _shard(posting: Posting) -> int:
    """The feed shard of the posting's event: its subject's, the first leg's account."""
    return events.shard_of(posting.legs[0].account_id)


@dataclass(frozen=True)
class Plan:
    """A posting's writes, worked out on the accounts as read: per customer leg an account
    update and an entry put, then the header, the idempotency record and the released
    hold's close (each as in `writes`, `posted` of them), and the events to append."""

    posting: Posting  # its time moved up to the last posting on its accounts, if behind
    legs: list[Leg]
    writes: list[dict[str, Any]]
    balances: dict[str, int | None]
    counter: di.Item
    events: list[Event]

    def result(self) -> PostResult:
        currency = self.posting.amount.currency
        money = {
            k: None if v is None else Money.from_minor(v, currency)
            for k, v in self.balances.items()
        }
        feed_key = di.feed_key(self.posting.created_at, self.posting.id)
        return PostResult(recorded(self.posting, money, feed_key))


def plan(
    db: Dynamo,
    posting: Posting,
    seen: tuple[dict[str, di.Item], di.Item] | None,
    releasing: Hold | None,
    closing: Closing | None = None,
) -> Plan | PostResult:
    """The posting's writes on the accounts `seen` (else read now, with the idempotency
    record and the feed counter); a PostResult when the key replays an earlier outcome.
    Raises the domain's refusal when the accounts as read refuse it. The account `closing`
    names is closed by its leg's own update (one item is written once in a transaction),
    which the version condition makes exact: AccountNotEmpty if it would keep anything."""
    tables = db.tables
    legs = [leg for leg in posting.legs if not is_internal(leg.account_id)]
    idem = posting.idempotency
    if seen is not None:
        # The service read the idempotency record with the accounts; one written since
        # fails its attribute_not_exists condition, and _explain replays it.
        accounts, counter = seen
    else:
        found = db.batch_get(
            {
                tables.accounts: [di.account_key(leg.account_id) for leg in legs],
                tables.idempotency: [] if idem is None else [_idem_key(idem)],
                tables.events: [events.counter_key(_shard(posting))],
            }
        )
        if found[tables.idempotency] and idem is not None:
            return _replay(db, idem, found[tables.idempotency][0])
        accounts = {i["id"]: i for i in found[tables.accounts] if not di.is_alias(i)}
        counter = events.counter_of(found[tables.events], _shard(posting))
    # The time was read before this attempt: never let it fall behind the last posting on
    # any account it touches, so that each account's entries are in time order as well as
    # in version order (statements follow the balance chain by time).
    floor = max((str(a.get("last_posted_at", "")) for a in accounts.values()), default="")
    if floor > posting.created_at:
        posting = replace(posting, created_at=floor)
    balances: dict[str, int | None] = {}
    writes: list[dict[str, Any]] = []
    for leg in legs:
        freed = _freed(leg, releasing)
        account = _check(leg, accounts.get(leg.account_id), freed)
        version = int(account["version"])
        after = int(account["balance_minor"]) + leg.amount.minor
        balances[leg.account_id] = after
        update = _account_update(tables.accounts, leg, account, after, posting.created_at, freed)
        if closing is not None and closing.account_id == leg.account_id:
            if after or int(account["held_minor"]) - freed:
                raise AccountNotEmpty(NOT_EMPTY)
            _closes(update, closing.reason)
        writes.append({"Update": update})
        seq = version + 1  # the entry's place in the account's own posting order
        writes.append(
            {"Put": _put(tables.transactions, di.entry_item(posting, leg.account_id, seq, after))}
        )
    writes.append({"Put": _put(tables.transactions, di.header_item(posting, balances))})
    if idem is not None:
        writes.append(
            {
                "Put": _put(
                    tables.idempotency,
                    {
                        **_idem_key(idem),
                        "fingerprint": idem.fingerprint,
                        "transaction_id": posting.id,
                        "created_at": posting.created_at,
                    },
                )
            }
        )
    if releasing is not None:
        writes.append(close(tables, releasing)[0])
    # The posting's events: the hold it releases, and itself.
    released = [] if releasing is None else [hold_resolved(releasing)]
    return Plan(posting, legs, writes, balances, counter, [*released, transaction_posted(posting)])


def _attempt(
    db: Dynamo,
    posting: Posting,
    seen: tuple[dict[str, di.Item], di.Item] | None,
    releasing: Hold | None,
    closing: Closing | None = None,
) -> PostResult:
    planned = plan(db, posting, seen, releasing, closing)
    if isinstance(planned, PostResult):
        return planned
    posted = len(planned.writes)
    # The events and the move of the shard's counter, in the same transaction.
    writes = planned.writes + events.posting_writes(
        db.tables.events, planned.counter, planned.events
    )
    try:
        db.call("transact_write_items", expect=CANCELLED, TransactItems=writes)
    except Refused as refused:
        reasons = refused.response.get("CancellationReasons", [])
        reasons, feed = reasons[:posted], reasons[posted:]
        if releasing is not None and reasons and reasons[-1].get("Code") == CHECK_FAILED:
            raise HoldNotOpen("the hold was already resolved") from refused
        kept = reasons[: len(reasons) - (releasing is not None)]
        return _explain(db, planned.posting, planned.legs, kept, releasing, feed)
    return planned.result()


def _idem_key(idem: IdempotencyKey) -> di.Item:
    return {"pk": idem.scope, "sk": idem.key}


def _check(leg: Leg, account: di.Item | None, freed: int = 0) -> di.Item:
    """The domain's rules (domain.chart), on the state the write is about to land on."""
    if account is None or di.is_alias(account):
        raise AccountNotFound("no such account")
    check_leg(standing(account, leg.amount.currency, freed), leg.amount)
    return account


def standing(account: di.Item, currency: str, freed: int = 0) -> Standing:
    """What the rules read of an account item (less `freed` of its holds)."""
    return Standing(
        Money.from_minor(int(account["balance_minor"]), currency),
        Money.from_minor(int(account["held_minor"]) - freed, currency),
        AccountStatus(account["status"]),
        policy_of(AccountType(account["type"])),
        str(account["number"]),
    )


def _put(table: str, item: di.Item) -> dict[str, Any]:
    return {
        "TableName": table,
        "Item": di.to_wire(item),
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _account_update(
    table: str, leg: Leg, account: di.Item, after: int, posted_at: str, freed: int = 0
) -> dict[str, Any]:
    # The version condition alone makes the write exact (a hold placed or resolved bumps it
    # too); the status and balance conditions restate the rule in DynamoDB's own terms (a
    # freeze does not bump the version): only an open account sends or takes money, and a
    # debit leaves the holds and the policy's floor covered.
    version = int(account["version"])
    condition = "version = :version AND #status = :open"
    held = int(account["held_minor"]) - freed
    values: dict[str, Any] = {
        ":version": version,
        ":next": version + 1,
        ":after": after,
        ":held": held,
        ":at": posted_at,
        ":open": AccountStatus.OPEN.value,
    }
    names = {"#status": "status"}
    overdraft = policy_of(AccountType(account["type"])).overdraft
    if leg.amount.is_negative() and overdraft is not None:
        condition += " AND balance_minor >= :needed"
        values |= {":needed": -leg.amount.minor + held - overdraft}
    return {
        "TableName": table,
        "Key": di.to_wire(di.account_key(leg.account_id)),
        "UpdateExpression": (
            "SET balance_minor = :after, held_minor = :held, version = :next, last_posted_at = :at"
        ),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": di.to_wire(values),
        "ExpressionAttributeNames": names,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _closes(update: dict[str, Any], reason: str) -> None:
    """Make a leg's account update close the account too (status, reason, not primary)."""
    update["UpdateExpression"] += ", #status = :closed, status_reason = :reason, #primary = :off"
    update["ExpressionAttributeNames"]["#primary"] = "primary"
    update["ExpressionAttributeValues"].update(
        di.to_wire({":closed": AccountStatus.CLOSED.value, ":reason": reason, ":off": False})
    )


def _replay(db: Dynamo, idem: IdempotencyKey, record: di.Item) -> PostResult:
    return replay_posting(earlier(db, record), idem.fingerprint)


def earlier(db: Dynamo, record: di.Item) -> Earlier:
    """What an idempotency record holds: a refusal, the hold of a transfer that went to
    review, or the transaction it posted."""
    if record.get("hold_id"):
        held = db.get(db.tables.holds, {"pk": record["account_id"], "sk": record["hold_id"]})
        if held is None:
            raise StoreError("idempotency key points at a missing hold")
        return record["fingerprint"], to_hold(held)
    if record.get("refusal"):
        kept = json.loads(record["refusal"])
        return record["fingerprint"], refusal(kept["kind"], kept["message"], kept["field"])
    txn = transaction(db, record["transaction_id"])
    if txn is None:
        raise StoreError("idempotency key points at a missing transaction")
    return record["fingerprint"], txn


def _explain(
    db: Dynamo,
    posting: Posting,
    legs: list[Leg],
    reasons: list[dict[str, Any]],
    releasing: Hold | None,
    feed: list[dict[str, Any]],
) -> PostResult:
    """Turn CancellationReasons (one per write, in order) into the bank's refusal. The writes
    were: per customer leg an account update and an entry put, then the header, then the
    idempotency record (and the released hold, which the caller has handled); `feed` has the
    reasons of the event's writes that followed them."""
    failed = [r.get("Code") == "ConditionalCheckFailed" for r in reasons]
    idem = posting.idempotency
    if idem is not None and len(failed) == 2 * len(legs) + 2 and failed[-1]:
        held = reasons[-1].get("Item")  # the racer's record, as the condition found it
        record = di.from_wire(held) if held else db.get(db.tables.idempotency, _idem_key(idem))
        if record is None:  # the racer's posting is gone again: impossible, but retryable
            raise WriteConflict("the idempotency key changed while posting; try again")
        return _replay(db, idem, record)
    for i, leg in enumerate(legs):
        if i * 2 < len(failed) and failed[i * 2]:
            old = reasons[i * 2].get("Item")
            _check(
                leg,
                di.from_wire(old)
                if old
                else db.get(db.tables.accounts, di.account_key(leg.account_id)),
                _freed(leg, releasing),
            )
            raise WriteConflict("another posting changed the account; try again")
    if any(r.get("Code") in BUSY for r in reasons):
        raise WriteConflict("another posting changed the account; try again")
    if events.feed_moved(feed):
        raise WriteConflict("another event took the feed's next place; try again")
    if len(failed) > 2 * len(legs) and failed[2 * len(legs)]:
        raise StoreError(f"a transaction with id {posting.id} is already recorded")
    codes = ", ".join(str(r.get("Code")) for r in reasons)
    raise StoreError(f"DynamoDB cancelled the posting ({codes})")


def transaction(db: Dynamo, transaction_id: str) -> Transaction | None:
    header = db.get(db.tables.transactions, di.header_key(transaction_id))
    return None if header is None else di.to_transaction(header)
