"""DynamoStore's ledger: one posting as one TransactWriteItems, and why a cancelled one was
refused.

A posting starts from the customer accounts it touches as the service read them
(Posting.based_on, with their versions), or else reads them (and the idempotency record) in
one strongly consistent BatchGetItem; it computes every balance after and writes in one
TransactWriteItems: each account update is conditional on the version it started from, so
any change to one of them since cancels the whole transaction, and the next attempt reads
afresh. The bank's cash account is never read or written: it keeps no balance, and its leg
lives only on the transaction header, so it is not a hot item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.accounts import CASH_ACCOUNT_ID, AccountStatus
from ..domain.errors import (
    AccountNotFound,
    AccountNotOpen,
    IdempotencyConflict,
    InsufficientFunds,
    StoreError,
    WriteConflict,
)
from ..domain.ledger import IdempotencyKey, Leg, Posting, PostResult, Transaction, recorded
from ..domain.money import Money
from . import dynamo_items as di
from .dynamo_schema import TableNames

T = TypeVar("T")
UNAVAILABLE = "the ledger's storage is unavailable; try again (with the same idempotency key)"
_BUSY = {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict",
         "RequestLimitExceeded"}


class Refused(Exception):
    """A refusal the caller asked to handle itself (a failed condition, a cancellation)."""

    def __init__(self, code: str, response: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.response = response


@dataclass
class Dynamo:
    """One low-level client (thread-safe, unlike boto3 resources) and the table names; every
    call's backend failure becomes StoreError, chained to botocore's exception."""

    client: Any
    tables: TableNames

    def call(self, op: str, *, expect: tuple[str, ...] = (), **kwargs: Any) -> Any:
        try:
            return getattr(self.client, op)(**kwargs)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in expect:
                raise Refused(code, e.response) from e
            raise StoreError(UNAVAILABLE) from e
        except BotoCoreError as e:  # no connection, timeouts, no credentials
            raise StoreError(UNAVAILABLE) from e

    def get(self, table: str, key: di.Item) -> di.Item | None:
        if not di.can_exist(key):  # e.g. a 5,000-character id typed into a URL
            return None
        found = self.call("get_item", TableName=table, Key=di.to_wire(key), ConsistentRead=True)
        return di.from_wire(found["Item"]) if "Item" in found else None

    def batch_get(self, keys: dict[str, list[di.Item]]) -> dict[str, list[di.Item]]:
        """Strongly consistent reads of up to 100 keys, across tables, in one round trip
        (more only when DynamoDB hands back unprocessed keys under load)."""
        keys = {t: [k for k in ks if di.can_exist(k)] for t, ks in keys.items()}
        request = {t: {"Keys": [di.to_wire(k) for k in ks], "ConsistentRead": True}
                   for t, ks in keys.items() if ks}
        found: dict[str, list[di.Item]] = {t: [] for t in keys}
        for attempt in range(8):
            if not request:
                return found
            answer = self.call("batch_get_item", RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                found[table] += [di.from_wire(i) for i in items]
            request = answer.get("UnprocessedKeys") or {}
            if request:
                time.sleep(0.01 * 2**attempt)
        raise WriteConflict("DynamoDB is busy; try again")

    def pages(self, op: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a Query or Scan, following LastEvaluatedKey."""
        while True:
            page = self.call(op, **kwargs)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


#: Attempts one post makes before it reports WriteConflict. A conflict costs two round trips
#: and no lock is held, so under contention the store re-reads and tries again itself (with
#: jittered exponential backoff) rather than surfacing every lost race to the service.
ATTEMPTS = 6
_BACKOFF = 0.005


def retrying(attempt: Callable[[int], T], attempts: int = ATTEMPTS) -> T:
    """`attempt(n)` until it does not raise WriteConflict, with jittered exponential backoff
    between tries; the last try's WriteConflict goes to the caller."""
    for n in range(attempts):
        try:
            return attempt(n)
        except WriteConflict:
            if n == attempts - 1:
                raise
            time.sleep(random.uniform(0, _BACKOFF * 2**n))  # noqa: S311 - jitter
    raise AssertionError("unreachable")


def post(db: Dynamo, posting: Posting) -> PostResult:
    # The first attempt writes on what the service read; a retry reads again.
    return retrying(lambda n: _attempt(db, posting, _seen(posting) if n == 0 else None))


def _seen(posting: Posting) -> dict[str, di.Item] | None:
    """The account items as of the service's read, if it read every customer account the
    posting touches from this store and they allow the posting; else None, and the attempt
    reads them itself (only the current state may refuse a posting, not an old copy)."""
    seen = {a.id: item for a in posting.based_on if (item := di.seen_item(a)) is not None}
    for leg in posting.legs:
        if leg.account_id == CASH_ACCOUNT_ID:
            continue
        try:
            _check(leg, seen.get(leg.account_id))
        except (AccountNotFound, AccountNotOpen, InsufficientFunds):
            return None
    return seen


def _attempt(db: Dynamo, posting: Posting, seen: dict[str, di.Item] | None) -> PostResult:
    tables = db.tables
    legs = [leg for leg in posting.legs if leg.account_id != CASH_ACCOUNT_ID]
    idem = posting.idempotency
    if seen is not None:
        # The service read the idempotency record with the accounts; one written since
        # fails its attribute_not_exists condition, and _explain replays it.
        accounts = seen
    else:
        found = db.batch_get({
            tables.accounts: [di.account_key(leg.account_id) for leg in legs],
            tables.idempotency: [] if idem is None else [_idem_key(idem)],
        })
        if found[tables.idempotency] and idem is not None:
            return _replay(db, idem, found[tables.idempotency][0])
        accounts = {item["id"]: item for item in found[tables.accounts]}
    # The time was read before this attempt: never let it fall behind the last posting on
    # any account it touches, so that each account's entries are in time order as well as
    # in version order (statements follow the balance chain by time).
    floor = max((str(a.get("last_posted_at", "")) for a in accounts.values()), default="")
    if floor > posting.created_at:
        posting = replace(posting, created_at=floor)
    balances: dict[str, int | None] = {}
    writes: list[dict[str, Any]] = []
    for leg in legs:
        account = _check(leg, accounts.get(leg.account_id))
        version = int(account["version"])
        after = int(account["balance_minor"]) + leg.amount.minor
        balances[leg.account_id] = after
        writes.append({"Update": _account_update(tables.accounts, leg, version, after,
                                                 posting.created_at)})
        seq = version + 1  # the entry's place in the account's own posting order
        writes.append({"Put": _put(tables.transactions,
                                   di.entry_item(posting, leg.account_id, seq, after))})
    writes.append({"Put": _put(tables.transactions, di.header_item(posting, balances))})
    if idem is not None:
        writes.append({"Put": _put(tables.idempotency, {
            **_idem_key(idem), "fingerprint": idem.fingerprint, "transaction_id": posting.id,
            "created_at": posting.created_at})})
    try:
        db.call("transact_write_items", expect=("TransactionCanceledException",),
                TransactItems=writes)
    except Refused as refused:
        return _explain(db, posting, legs, refused.response.get("CancellationReasons", []))
    money = {k: None if v is None else Money.from_minor(v, posting.amount.currency)
             for k, v in balances.items()}
    return PostResult(recorded(posting, money, di.feed_key(posting.created_at, posting.id)))


def _idem_key(idem: IdempotencyKey) -> di.Item:
    return {"pk": idem.scope, "sk": idem.key}


def _check(leg: Leg, account: di.Item | None) -> di.Item:
    """The store's own check of the rules, on the state it is about to write over."""
    if account is None:
        raise AccountNotFound("no such account")
    if leg.amount.is_negative() and account["status"] != AccountStatus.OPEN.value:
        raise AccountNotOpen(f"account {account['number']} is {account['status']}")
    if int(account["balance_minor"]) + leg.amount.minor < 0:
        raise InsufficientFunds("insufficient funds")
    return account


def _put(table: str, item: di.Item) -> dict[str, Any]:
    return {"TableName": table, "Item": di.to_wire(item),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _account_update(table: str, leg: Leg, version: int, after: int,
                    posted_at: str) -> dict[str, Any]:
    # The version condition alone makes the write exact; the status and balance conditions
    # restate the rules in DynamoDB's own terms (a freeze does not bump the version).
    condition = "version = :version"
    values: dict[str, Any] = {":version": version, ":next": version + 1, ":after": after,
                              ":at": posted_at}
    names = {}
    if leg.amount.is_negative():
        condition += " AND #status = :open AND balance_minor >= :debit"
        values |= {":open": AccountStatus.OPEN.value, ":debit": -leg.amount.minor}
        names = {"#status": "status"}
    return {"TableName": table, "Key": di.to_wire(di.account_key(leg.account_id)),
            "UpdateExpression": "SET balance_minor = :after, version = :next, "
                                "last_posted_at = :at",
            "ConditionExpression": condition, "ExpressionAttributeValues": di.to_wire(values),
            **({"ExpressionAttributeNames": names} if names else {}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _replay(db: Dynamo, idem: IdempotencyKey, record: di.Item) -> PostResult:
    if record["fingerprint"] != idem.fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
    earlier = transaction(db, record["transaction_id"])
    if earlier is None:
        raise StoreError("idempotency key points at a missing transaction")
    return PostResult(earlier, replayed=True)


def _explain(db: Dynamo, posting: Posting, legs: list[Leg],
             reasons: list[dict[str, Any]]) -> PostResult:
    """Turn CancellationReasons (one per write, in order) into the bank's refusal. The writes
    were: per customer leg an account update and an entry put, then the header, then the
    idempotency record."""
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
            _check(leg, di.from_wire(old) if old else
                   db.get(db.tables.accounts, di.account_key(leg.account_id)))
            raise WriteConflict("another posting changed the account; try again")
    if any(r.get("Code") in _BUSY for r in reasons):
        raise WriteConflict("another posting changed the account; try again")
    if len(failed) > 2 * len(legs) and failed[2 * len(legs)]:
        raise StoreError(f"a transaction with id {posting.id} is already recorded")
    codes = ", ".join(str(r.get("Code")) for r in reasons)
    raise StoreError(f"DynamoDB cancelled the posting ({codes})")


def transaction(db: Dynamo, transaction_id: str) -> Transaction | None:
    header = db.get(db.tables.transactions, di.header_key(transaction_id))
    return None if header is None else di.to_transaction(header)
