"""Saved payees on DynamoDB, in the standing_orders table (a customer's own payment setup):
pk PAYEES#<user id>, sk P#<payee id> per payee, and sk COUNT holding how many there are. A
payee is added together with a conditional bump of the count, so that two saved at once
cannot pass MAX_PAYEES_PER_CUSTOMER; one removed takes the count down in the same write."""

from __future__ import annotations

from typing import Any

from ...domain.errors import PayeeNotFound, ValidationFailed, WriteConflict
from ...domain.payees import MAX_PAYEES_PER_CUSTOMER, Payee
from . import items as di
from .client import Connected, Dynamo, IfRefused

COUNT = "COUNT"


def _pk(user_id: str) -> str:
    return f"PAYEES#{user_id}"


def _key(user_id: str, payee_id: str) -> di.Item:
    return {"pk": _pk(user_id), "sk": f"P#{payee_id}"}


def _payee(item: di.Item) -> Payee:
    return Payee(
        str(item["id"]),
        str(item["user_id"]),
        str(item["nickname"]),
        str(item["number"]),
        str(item["email"]),
        str(item["created_at"]),
    )


def forgetting(db: Dynamo, user_id: str) -> list[tuple[dict[str, Any], IfRefused]]:
    """Deletes of every payee item of the user and of their count, for the write that removes
    the user. The count's delete is conditional on the number read, so that a payee saved
    meanwhile makes the write a WriteConflict instead of surviving its owner."""
    items = [
        di.from_wire(i)
        for page in db.pages(
            "query",
            TableName=db.tables.standing_orders,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=di.to_wire({":pk": _pk(user_id)}),
            ConsistentRead=True,
        )
        for i in page.get("Items", [])
    ]
    kept = sum(1 for i in items if i["sk"] != COUNT)
    deletes: list[tuple[dict[str, Any], IfRefused]] = [
        (
            {
                "Delete": {
                    "TableName": db.tables.standing_orders,
                    "Key": di.to_wire({"pk": i["pk"], "sk": i["sk"]}),
                }
            },
            None,
        )
        for i in items
        if i["sk"] != COUNT
    ]
    count: dict[str, Any] = {
        "TableName": db.tables.standing_orders,
        "Key": di.to_wire({"pk": _pk(user_id), "sk": COUNT}),
        "ConditionExpression": "attribute_not_exists(kept) OR kept = :kept",
        "ExpressionAttributeValues": di.to_wire({":kept": kept}),
    }
    return [*deletes, ({"Delete": count}, WriteConflict("a payee was saved meanwhile; try again"))]


class DynamoPayees(Connected):
    def _count(self, user_id: str, step: int, *, condition: str = "") -> dict[str, object]:
        values: dict[str, object] = {":step": step}
        update: dict[str, object] = {
            "TableName": self.tables.standing_orders,
            "Key": di.to_wire({"pk": _pk(user_id), "sk": COUNT}),
            "UpdateExpression": "ADD kept :step",
        }
        if condition:
            update["ConditionExpression"] = condition
            values[":most"] = MAX_PAYEES_PER_CUSTOMER
        update["ExpressionAttributeValues"] = di.to_wire(values)
        return {"Update": update}

    def add_payee(self, payee: Payee) -> None:
        item = {
            **_key(payee.user_id, payee.id),
            "id": payee.id,
            "user_id": payee.user_id,
            "nickname": payee.nickname,
            "number": payee.number,
            "email": payee.email,
            "created_at": payee.created_at,
        }
        self.db.write(
            (
                {"Put": di.put_new(self.tables.standing_orders, item)},
                WriteConflict("that payee id is taken"),
            ),
            (
                self._count(
                    payee.user_id, 1, condition="attribute_not_exists(kept) OR kept < :most"
                ),
                ValidationFailed(
                    {"nickname": f"you can keep at most {MAX_PAYEES_PER_CUSTOMER} payees"}
                ),
            ),
        )

    def payees_of(self, user_id: str) -> list[Payee]:
        found = [
            _payee(di.from_wire(i))
            for page in self.db.pages(
                "query",
                TableName=self.tables.standing_orders,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :payee)",
                ExpressionAttributeValues=di.to_wire({":pk": _pk(user_id), ":payee": "P#"}),
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id))

    def get_payee(self, user_id: str, payee_id: str) -> Payee | None:
        key = _key(user_id, payee_id)
        if not di.can_exist(key):
            return None
        item = self.db.get(self.tables.standing_orders, key)
        return None if item is None else _payee(item)

    def rename_payee(self, user_id: str, payee_id: str, nickname: str) -> Payee:
        found = self.get_payee(user_id, payee_id)
        if found is None:
            raise PayeeNotFound("no such payee")
        self.db.write(
            (
                {
                    "Update": {
                        "TableName": self.tables.standing_orders,
                        "Key": di.to_wire(_key(user_id, payee_id)),
                        "UpdateExpression": "SET nickname = :nickname",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": di.to_wire({":nickname": nickname}),
                    }
                },
                PayeeNotFound("no such payee"),
            )
        )
        return Payee(found.id, found.user_id, nickname, found.number, found.email, found.created_at)

    def remove_payee(self, user_id: str, payee_id: str) -> None:
        key = _key(user_id, payee_id)
        if not di.can_exist(key):
            raise PayeeNotFound("no such payee")
        self.db.write(
            (
                {
                    "Delete": {
                        "TableName": self.tables.standing_orders,
                        "Key": di.to_wire(key),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                PayeeNotFound("no such payee"),
            ),
            (self._count(user_id, -1), None),
        )
