"""The monitoring table's keys and items (schema.py lists them): profiles, the live rule
set, rule versions, alerts and backtests. An alert's item carries the keys of the queue's
indexes (feed, at_id, status, customer_id) and the rules that fired, for the rule filter."""

from __future__ import annotations

from typing import Any

from ...domain.monitoring.model import Alert, RuleChange, StoredProfile, StoredRuleSet
from ..alert_json import alert_fields, rules_of
from . import items as di

RULE_SET_KEY = {"pk": "RULES", "sk": "LIVE"}
#: The one partition of the newest-first index.
ALERT_FEED = "ALERT"
#: Rule versions zero-padded, so that text order is number order.
VERSION_DIGITS = 10


def profile_key(user_id: str) -> di.Item:
    return {"pk": f"PROFILE#{user_id}", "sk": "PROFILE"}


def profile_user(item: di.Item) -> str:
    """The user id in a profile item's key."""
    return str(item["pk"]).removeprefix("PROFILE#")


def alert_key(alert_id: str) -> di.Item:
    return {"pk": f"ALERT#{alert_id}", "sk": "ALERT"}


def backtest_key(backtest_id: str) -> di.Item:
    return {"pk": f"BACKTEST#{backtest_id}", "sk": "BACKTEST"}


def rule_pk(rule_id: str) -> str:
    return f"RULE#{rule_id}"


def at_id(created_at: str, alert_id: str) -> str:
    return f"{created_at}#{alert_id}"


def to_profile(item: di.Item, user_id: str) -> StoredProfile:
    return StoredProfile(user_id, str(item["data"]), int(item["version"]))


def to_rule_set(item: di.Item) -> StoredRuleSet:
    return StoredRuleSet(str(item["data"]), int(item["version"]))


def change_item(change: RuleChange) -> di.Item:
    return {
        "pk": rule_pk(change.rule_id),
        "sk": f"V#{change.version:0{VERSION_DIGITS}d}",
        "rule_id": change.rule_id,
        "version": change.version,
        "at": change.at,
        "by": change.by,
        "data": change.data,
    }


def to_change(item: di.Item) -> RuleChange:
    return RuleChange(
        str(item["rule_id"]), int(item["version"]), str(item["at"]), str(item["by"]), item["data"]
    )


def alert_item(alert: Alert) -> di.Item:
    return {
        **alert_key(alert.id),
        **alert_fields(alert),
        "feed": ALERT_FEED,
        "at_id": at_id(alert.created_at, alert.id),
        "rules": rules_of(alert),  # a List: `contains` finds an element of it
    }


def conditional_put(table: str, item: di.Item, read: int) -> dict[str, Any]:
    """Put the item if the one stored is still at version `read` (0: there is none)."""
    if read == 0:
        return di.put_new(table, item)
    return {
        "TableName": table,
        "Item": di.to_wire(item),
        "ConditionExpression": "version = :read",
        "ExpressionAttributeValues": di.to_wire({":read": read}),
    }


def conditional_update(
    table: str, key: di.Item, fields: dict[str, Any], read: int
) -> dict[str, Any]:
    """Set `fields` on the item if it is still at version `read`."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":f{i}": value for i, value in enumerate(fields.values())}
    sets = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
    return {
        "TableName": table,
        "Key": di.to_wire(key),
        "UpdateExpression": f"SET {sets}",
        "ConditionExpression": "version = :read",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": di.to_wire({**values, ":read": read}),
    }
