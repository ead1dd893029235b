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

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.accounts import CASH_ACCOUNT_ID, AccountStatus
from ..domain.errors import (
    AccountNotFound,
    AccountNotOpen,
    BankError,
    InsufficientFunds,
    StoreError,
    WriteConflict,
    refusal,
)
from ..domain.ledger import (
    Earlier,
    IdempotencyKey,
    Leg,
    Posting,
    PostResult,
    Transaction,
    check_leg,
    recorded,
    replay,
)
from ..domain.money import Money
from ..retry import retrying
from . import dynamo_items as di
from .dynamo_schema import TableNames

UNAVAILABLE = "the ledger's storage is unavailable; try again (with the same idempotency key)"
_BUSY = {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict",
         "RequestLimitExceeded"}


class Refused(Exception):
    """A refusal the caller asked to handle itself (a failed condition, a cancellation)."""

    def __init__(self, code: str, response: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.response = response


#: What a failed condition on one write means: the bank's error, or a function of the item
#: as the condition found it (None when there was none) that gives it; None: nothing to say.
IfRefused = BankError | Callable[[di.Item | None], BankError] | None
#: TransactWriteItems takes at most this many actions.
MAX_UNIT = 100
_SINGLE = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


@dataclass
class Dynamo:
    """One low-level client (thread-safe, unlike boto3 resources) and the table names; every
    call's backend failure becomes StoreError, chained to botocore's exception. Writes go
    through `write`, which a unit of work open on this thread buffers (dynamo_unit.py)."""

    client: Any
    tables: TableNames
    local: threading.local = field(default_factory=threading.local)

    def write(self, *actions: tuple[dict[str, Any], IfRefused]) -> None:
        """Apply TransactWriteItems actions ({"Put": ...}, {"Update": ...}, ...) all or none:
        at once, or at the commit of the unit of work open on this thread. A failed condition
        raises what its action says it means."""
        unit = getattr(self.local, "unit", None)
        if unit is not None:
            unit.extend(actions)
            return
        self.transact(list(actions))

    def transact(self, actions: list[tuple[dict[str, Any], IfRefused]]) -> None:
        if not actions:
            return
        if len(actions) > MAX_UNIT:
            raise StoreError(f"one unit of work writes at most {MAX_UNIT} items; "
                             "nothing was written")
        if len(actions) == 1 and "ConditionCheck" not in actions[0][0]:
            (kind, params), = actions[0][0].items()
            params = {k: v for k, v in params.items()
                      if k != "ReturnValuesOnConditionCheckFailure"}
            try:
                self.call(_SINGLE[kind], expect=("ConditionalCheckFailedException",), **params)
            except Refused as e:
                _refuse(actions[0][1], None, e)
            return
        try:
            self.call("transact_write_items", expect=("TransactionCanceledException",),
                      TransactItems=[a for a, _ in actions])
        except Refused as e:
            reasons = e.response.get("CancellationReasons", [])
            for (_, meaning), reason in zip(actions, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    held = reason.get("Item")
                    _refuse(meaning, di.from_wire(held) if held else None, e)
            if any(r.get("Code") in _BUSY for r in reasons):
                raise WriteConflict("the records changed meanwhile; try again") from e
            codes = ", ".join(str(r.get("Code")) for r in reasons)
            raise StoreError(f"DynamoDB cancelled the write ({codes})") from e

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


def _refuse(meaning: IfRefused, item: di.Item | None, cause: Exception) -> None:
    """Raise what a failed condition means; a condition that means nothing is ignored."""
    if meaning is None:
        return
    raise (meaning(item) if callable(meaning) else meaning) from cause


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
    """The domain's rule (ledger.check_leg), on the state the write is about to land on."""
    if account is None:
        raise AccountNotFound("no such account")
    cur = leg.amount.currency
    check_leg(leg.amount, balance=Money.from_minor(int(account["balance_minor"]), cur),
              status=AccountStatus(account["status"]), number=str(account["number"]))
    return account


def _put(table: str, item: di.Item) -> dict[str, Any]:
    return {"TableName": table, "Item": di.to_wire(item),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _account_update(table: str, leg: Leg, version: int, after: int,
                    posted_at: str) -> dict[str, Any]:
    # The version condition alone makes the write exact; the status and balance conditions
    # restate the rule in DynamoDB's own terms (a freeze does not bump the version): only
    # an open account sends or takes money.
    condition = "version = :version AND #status = :open"
    values: dict[str, Any] = {":version": version, ":next": version + 1, ":after": after,
                              ":at": posted_at, ":open": AccountStatus.OPEN.value}
    names = {"#status": "status"}
    if leg.amount.is_negative():
        condition += " AND balance_minor >= :debit"
        values |= {":debit": -leg.amount.minor}
    return {"TableName": table, "Key": di.to_wire(di.account_key(leg.account_id)),
            "UpdateExpression": "SET balance_minor = :after, version = :next, "
                                "last_posted_at = :at",
            "ConditionExpression": condition, "ExpressionAttributeValues": di.to_wire(values),
            "ExpressionAttributeNames": names,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _replay(db: Dynamo, idem: IdempotencyKey, record: di.Item) -> PostResult:
    return replay(earlier(db, record), idem.fingerprint)


def earlier(db: Dynamo, record: di.Item) -> Earlier:
    """What an idempotency record holds: a refusal, or the transaction it posted."""
    if record.get("refusal"):
        kept = json.loads(record["refusal"])
        return record["fingerprint"], refusal(kept["kind"], kept["message"], kept["field"])
    txn = transaction(db, record["transaction_id"])
    if txn is None:
        raise StoreError("idempotency key points at a missing transaction")
    return record["fingerprint"], txn


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
