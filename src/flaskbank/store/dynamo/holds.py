"""The hold port on DynamoDB. Placing a hold is one read of the account and one write (the
hold and the account's held amount, conditional on the version read); resolving one is one
read of the hold and one write (the hold, conditional on its being open, and the held amount
taken off the account by an update expression, which needs no read of the account)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...domain.chart import check_debit
from ...domain.errors import (
    AccountNotFound,
    BankError,
    IdempotencyConflict,
    StaleRecord,
)
from ...domain.holds import Hold, HoldStatus
from ...domain.ledger import IdempotencyKey
from ...retry import retrying
from . import items as di
from .client import Connected, IfRefused
from .hold_items import close, hold_item, to_hold, unreserve
from .postings import standing
from .schema import DUE, HOLD_BY_ID

_KEY_TAKEN = IdempotencyConflict(
    "this Idempotency-Key was used meanwhile; retry to see its outcome"
)


class DynamoHolds(Connected):
    def place(self, hold: Hold, *, idempotency: IdempotencyKey | None = None) -> Hold:
        def attempt(_: int) -> Hold:
            account = self.db.get(self.tables.accounts, di.account_key(hold.account_id))
            if account is None:
                raise AccountNotFound("no such account")
            check_debit(standing(account, hold.amount.currency), hold.amount)
            writes: list[tuple[dict[str, Any], IfRefused]] = [
                (
                    {"Update": _reserve(self.tables.accounts, account, hold.amount.minor)},
                    _refusal(hold),
                ),
                ({"Put": di.put_new(self.tables.holds, hold_item(hold))}, None),
            ]
            if idempotency is not None:
                record = {
                    "pk": idempotency.scope,
                    "sk": idempotency.key,
                    "fingerprint": idempotency.fingerprint,
                    "transaction_id": "",
                    "hold_id": hold.id,
                    "account_id": hold.account_id,
                    "created_at": hold.placed_at,
                }
                writes.append(({"Put": di.put_new(self.tables.idempotency, record)}, _KEY_TAKEN))
            self.db.write(*writes)
            return hold

        return retrying(attempt)

    def resolve(self, hold: Hold, status: HoldStatus, *, by: str, at: str) -> Hold:
        done = hold.resolved(status, by, at)
        self.db.write(close(self.tables, done), unreserve(self.tables, done))
        return done

    def get(self, account_id: str, hold_id: str) -> Hold | None:
        key = {"pk": account_id, "sk": hold_id}
        if not di.can_exist(key):
            return None
        item = self.db.get(self.tables.holds, key)
        return None if item is None else to_hold(item)

    def find(self, hold_id: str) -> Hold | None:
        """One query of the by_id index for the hold's account, then the hold itself."""
        if not di.can_exist({"pk": "x", "sk": hold_id}):
            return None
        found = self.db.call(
            "query",
            TableName=self.tables.holds,
            IndexName=HOLD_BY_ID,
            KeyConditionExpression="sk = :id",
            ExpressionAttributeValues=di.to_wire({":id": hold_id}),
            Limit=1,
        )["Items"]
        return None if not found else self.get(str(di.from_wire(found[0])["pk"]), hold_id)

    def holds_of(self, account_id: str, *, open_only: bool = False) -> list[Hold]:
        found = [
            to_hold(di.from_wire(i))
            for page in self.db.pages(
                "query",
                TableName=self.tables.holds,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=di.to_wire({":pk": account_id}),
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]
        found.sort(key=lambda h: (h.placed_at, h.id), reverse=True)
        return [h for h in found if h.is_open or not open_only]

    def due(self, now: str, *, limit: int) -> list[Hold]:
        page = self.db.call(
            "query",
            TableName=self.tables.holds,
            IndexName=DUE,
            KeyConditionExpression="#due = :open AND expires_at <= :now",
            ExpressionAttributeNames={"#due": "due"},
            ExpressionAttributeValues=di.to_wire({":open": "OPEN", ":now": now}),
            Limit=limit,
        )
        keys = [di.from_wire(i) for i in page.get("Items", [])]
        holds = [self.get(k["pk"], k["sk"]) for k in keys]  # the index is eventually consistent
        return [h for h in holds if h is not None and h.is_due(now)]

    def all_holds(self) -> Iterator[Hold]:
        for page in self.db.pages("scan", TableName=self.tables.holds, ConsistentRead=True):
            for i in page.get("Items", []):
                yield to_hold(di.from_wire(i))


def _reserve(table: str, account: di.Item, amount: int) -> dict[str, Any]:
    version = int(account["version"])
    return {
        "TableName": table,
        "Key": di.to_wire(di.account_key(str(account["id"]))),
        "UpdateExpression": "SET held_minor = :held, version = :next",
        "ConditionExpression": "version = :version",
        "ExpressionAttributeValues": di.to_wire(
            {
                ":held": int(account["held_minor"]) + amount,
                ":next": version + 1,
                ":version": version,
            }
        ),
    }


def _refusal(hold: Hold) -> Callable[[di.Item | None], BankError]:
    """A failed version condition: the account changed since it was read. If it can no
    longer pay, say so; else read again (StaleRecord is retried)."""

    def meaning(item: di.Item | None) -> BankError:
        if item is None:
            return StaleRecord("the account changed; try again")
        try:
            check_debit(standing(item, hold.amount.currency), hold.amount)
        except BankError as refused:
            return refused
        return StaleRecord("the account changed; try again")

    return meaning
