"""The ports the background worker needs on DynamoDB: job leases (one item per job, taken
by a conditional put) and standing orders (an order per item, its runs beside it)."""

from __future__ import annotations

import contextlib
from typing import Any

from ...domain.errors import StaleRecord, ValidationFailed
from ...domain.standing_orders import (
    MAX_ORDERS_PER_CUSTOMER,
    OrderStatus,
    Run,
    RunOutcome,
    StandingOrder,
)
from . import items as di
from .client import CONDITION_FAILED, Connected, Refused
from .schema import DUE


class DynamoLeases(Connected):
    def acquire(self, name: str, owner: str, *, now: str, until: str) -> bool:
        try:
            self.db.call(
                "put_item",
                expect=CONDITION_FAILED,
                TableName=self.tables.leases,
                Item=di.to_wire({"pk": name, "owner": owner, "until": until}),
                ConditionExpression="attribute_not_exists(pk) OR #until <= :now OR #owner = :me",
                ExpressionAttributeNames={"#until": "until", "#owner": "owner"},
                ExpressionAttributeValues=di.to_wire({":now": now, ":me": owner}),
            )
        except Refused:
            return False
        return True

    def release(self, name: str, owner: str) -> None:
        # Refused: another worker holds it now, not ours to give up.
        with contextlib.suppress(Refused):
            self.db.call(
                "delete_item",
                expect=CONDITION_FAILED,
                TableName=self.tables.leases,
                Key=di.to_wire({"pk": name}),
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=di.to_wire({":me": owner}),
            )

    def holder(self, name: str) -> tuple[str, str] | None:
        item = self.db.get(self.tables.leases, {"pk": name})
        return None if item is None else (str(item["owner"]), str(item["until"]))


class DynamoStandingOrders(Connected):
    def add_order(self, order: StandingOrder) -> None:
        active = [o for o in self.orders_of(order.user_id) if o.status is OrderStatus.ACTIVE]
        if len(active) >= MAX_ORDERS_PER_CUSTOMER:
            raise ValidationFailed(
                {"amount": f"at most {MAX_ORDERS_PER_CUSTOMER} active standing orders"}
            )
        self.db.write(({"Put": di.put_new(self.tables.standing_orders, _item(order))}, None))

    def get_order(self, user_id: str, order_id: str) -> StandingOrder | None:
        key = _key(user_id, order_id)
        if not di.can_exist(key):
            return None
        item = self.db.get(self.tables.standing_orders, key)
        return None if item is None else _order(item)

    def orders_of(self, user_id: str) -> list[StandingOrder]:
        found = [
            _order(di.from_wire(i))
            for page in self.db.pages(
                "query",
                TableName=self.tables.standing_orders,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=di.to_wire({":pk": f"USER#{user_id}"}),
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    def save_order(self, order: StandingOrder) -> None:
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.tables.standing_orders,
                        "Item": di.to_wire(_item(order)),
                        "ConditionExpression": "version = :read",
                        "ExpressionAttributeValues": di.to_wire({":read": order.version - 1}),
                    }
                },
                StaleRecord("the standing order changed meanwhile"),
            )
        )

    def due_orders(self, today: str, *, limit: int) -> list[StandingOrder]:
        page = self.db.call(
            "query",
            TableName=self.tables.standing_orders,
            IndexName=DUE,
            KeyConditionExpression="#due = :active AND next_run <= :today",
            ExpressionAttributeNames={"#due": "due"},
            ExpressionAttributeValues=di.to_wire({":active": "ACTIVE", ":today": today}),
            Limit=limit,
        )
        # The index is eventually consistent: read each order itself before acting on it.
        keys = [di.from_wire(i) for i in page.get("Items", [])]
        orders = [
            self.db.get(self.tables.standing_orders, {"pk": k["pk"], "sk": k["sk"]}) for k in keys
        ]
        return [o for o in (_order(i) for i in orders if i) if o.is_due(today)]

    def record_run(self, run: Run) -> None:
        item = {
            "pk": f"ORDER#{run.order_id}",
            "sk": f"RUN#{run.on}",
            "outcome": run.outcome.value,
            "at": run.at,
            "transaction_id": run.transaction_id,
            "detail": run.detail,
        }
        # Refused: the run was recorded already, and the first record stands.
        with contextlib.suppress(Refused):
            self.db.call(
                "put_item",
                expect=CONDITION_FAILED,
                **di.put_new(self.tables.standing_orders, item),
            )

    def runs_of(self, order_id: str, *, limit: int) -> list[Run]:
        page = self.db.call(
            "query",
            TableName=self.tables.standing_orders,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=di.to_wire({":pk": f"ORDER#{order_id}"}),
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [
            Run(
                order_id,
                str(i["sk"]).removeprefix("RUN#"),
                RunOutcome(i["outcome"]),
                i["at"],
                i["transaction_id"],
                i["detail"],
            )
            for i in (di.from_wire(x) for x in page.get("Items", []))
        ]


def _key(user_id: str, order_id: str) -> di.Item:
    return {"pk": f"USER#{user_id}", "sk": f"ORDER#{order_id}"}


def _item(order: StandingOrder) -> di.Item:
    item: dict[str, Any] = {
        **_key(order.user_id, order.id),
        "id": order.id,
        "user_id": order.user_id,
        "from_account_id": order.from_account_id,
        "to_account_number": order.to_account_number,
        "amount": order.amount,
        "memo": order.memo,
        "day_of_month": order.day_of_month,
        "next_run": order.next_run,
        "status": order.status.value,
        "created_at": order.created_at,
        "version": order.version,
        "last_outcome": order.last_outcome,
    }
    if order.end_date is not None:
        item["end_date"] = order.end_date
    if order.status is OrderStatus.ACTIVE:
        item["due"] = "ACTIVE"
    return item


def _order(item: di.Item) -> StandingOrder:
    return StandingOrder(
        id=item["id"],
        user_id=item["user_id"],
        from_account_id=item["from_account_id"],
        to_account_number=item["to_account_number"],
        amount=item["amount"],
        memo=item["memo"],
        day_of_month=int(item["day_of_month"]),
        next_run=item["next_run"],
        end_date=item.get("end_date"),
        status=OrderStatus(item["status"]),
        created_at=item["created_at"],
        version=int(item["version"]),
        last_outcome=str(item.get("last_outcome", "")),
    )
