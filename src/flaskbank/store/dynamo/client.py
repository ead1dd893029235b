"""The DynamoDB client as every port uses it: one low-level client (thread-safe, unlike boto3
resources), backend failures as the bank's StoreError, and every write through `write`,
which the unit of work open on the thread buffers (unit.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as Unreachable  # refused, timed out, reset

from ...domain.errors import (
    BankError,
    StoreError,
    WriteConflict,
)
from . import items as di
from .schema import TableNames

UNAVAILABLE = "the ledger's storage is unavailable; try again (with the same idempotency key)"
BUSY = {
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "TransactionConflict",
    "RequestLimitExceeded",
}


#: How long a store that did not answer is taken as down (Dynamo.down_until).
OUTAGE_SECONDS = 5.0


#: The refusals a caller may ask `call` to hand back as Refused instead of StoreError.
CONDITION_FAILED = ("ConditionalCheckFailedException",)
CANCELLED = ("TransactionCanceledException",)


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
    through `write`, which a unit of work open on this thread buffers (unit.py)."""

    client: Any
    tables: TableNames
    local: threading.local = field(default_factory=threading.local)
    #: Until when (time.monotonic) every call fails at once: a store that just failed to
    #: answer is not asked again for OUTAGE_SECONDS, so that a page that makes several calls
    #: answers 503 after one timeout, not one per call.
    down_until: float = 0.0

    def write(self, *actions: tuple[dict[str, Any], IfRefused]) -> None:
        """Apply TransactWriteItems actions ({"Put": ...}, {"Update": ...}, ...) all or none:
        at once, or at the commit of the unit of work open on this thread. A failed condition
        raises what its action says it means."""
        unit = self.open_unit()
        if unit is not None:
            unit.extend(actions)
            return
        self.transact(list(actions))

    def open_unit(self) -> Any:
        """The unit of work open on this thread (unit.DynamoUnitOfWork), or None."""
        return getattr(self.local, "unit", None)

    def transact(self, actions: list[tuple[dict[str, Any], IfRefused]]) -> None:
        if not actions:
            return
        if len(actions) > MAX_UNIT:
            raise StoreError(
                f"one unit of work writes at most {MAX_UNIT} items; nothing was written"
            )
        if len(actions) == 1 and "ConditionCheck" not in actions[0][0]:
            ((kind, params),) = actions[0][0].items()
            params = {k: v for k, v in params.items() if k != "ReturnValuesOnConditionCheckFailure"}
            try:
                self.call(_SINGLE[kind], expect=CONDITION_FAILED, **params)
            except Refused as e:
                _refuse(actions[0][1], None, e)
            return
        try:
            self.call(
                "transact_write_items",
                expect=CANCELLED,
                TransactItems=[a for a, _ in actions],
            )
        except Refused as e:
            reasons = e.response.get("CancellationReasons", [])
            for (_, meaning), reason in zip(actions, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    held = reason.get("Item")
                    _refuse(meaning, di.from_wire(held) if held else None, e)
            if any(r.get("Code") in BUSY for r in reasons):
                raise WriteConflict("the records changed meanwhile; try again") from e
            codes = ", ".join(str(r.get("Code")) for r in reasons)
            raise StoreError(f"DynamoDB cancelled the write ({codes})") from e

    def call(self, op: str, *, expect: tuple[str, ...] = (), **kwargs: Any) -> Any:
        if time.monotonic() < self.down_until:
            raise StoreError(UNAVAILABLE)
        try:
            return getattr(self.client, op)(**kwargs)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in expect:
                raise Refused(code, e.response) from e
            raise StoreError(UNAVAILABLE) from e
        except (Unreachable, ReadTimeoutError) as e:
            self.down_until = time.monotonic() + OUTAGE_SECONDS
            raise StoreError(UNAVAILABLE) from e
        except BotoCoreError as e:  # no credentials, a malformed request
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
        request = {
            t: {"Keys": [di.to_wire(k) for k in ks], "ConsistentRead": True}
            for t, ks in keys.items()
            if ks
        }
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


class Connected:
    """What every DynamoDB port holds: the store's client, made on first use (so that
    importing, building the app or forking gunicorn workers opens no connection)."""

    def __init__(self, connect: Callable[[], Dynamo]) -> None:
        self._connect = connect

    @property
    def db(self) -> Dynamo:
        return self._connect()

    @property
    def tables(self) -> TableNames:
        return self.db.tables
