"""Reads that several DynamoDB ports share: items for the keys an index gave, in its order,
and a user's accounts by the list on their email lock."""

from __future__ import annotations

from typing import Any

from . import items as di
from .client import Dynamo
from .schema import BY_USER


def keys_in_order(db: Dynamo, table: str, keys: list[di.Item]) -> list[di.Item]:
    """The items for keys an index gave, read strongly consistent, in the index's order."""
    order = {k["pk"]: n for n, k in enumerate(keys)}
    found: list[di.Item] = []
    for i in range(0, len(keys), 100):
        found += db.batch_get({table: keys[i : i + 100]})[table]
    return sorted(found, key=lambda item: order[item["pk"]])


def index_keys(db: Dynamo, **query: Any) -> list[di.Item]:
    return [
        {"pk": di.from_wire(i)["pk"]} for page in db.pages("query", **query) for i in page["Items"]
    ]


def account_keys(user_id: str, lock: di.Item) -> list[di.Item]:
    """The user's account keys, from the list on their email lock (read strongly
    consistent); none when the lock is not the user's (an email change took it meanwhile:
    the write that follows is refused, and retried from fresh reads)."""
    if lock.get("user_id") != user_id:
        return []
    return [di.account_key(i) for i in lock["account_ids"]]


def indexed_account_keys(db: Dynamo, user_id: str) -> list[di.Item]:
    return index_keys(
        db,
        TableName=db.tables.accounts,
        IndexName=BY_USER,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues=di.to_wire({":u": user_id}),
    )


def account_items_on(db: Dynamo, lock: di.Item) -> list[di.Item]:
    """The account items of an email lock's user, read strongly consistent, oldest first."""
    items = keys_in_order(db, db.tables.accounts, account_keys(lock["user_id"], lock))
    return [
        i for i in sorted(items, key=lambda i: i["owner_key"]) if i["user_id"] == lock["user_id"]
    ]
