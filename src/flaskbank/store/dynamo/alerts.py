"""The alert queue on DynamoDB: newest first from one of three indexes, each keyed by
at_id = <created_at>#<id> (schema.py): by customer when one is asked for, else by status
when one is asked for, else the one partition of every alert. since/until and the cursor
bound the key; the filters the index does not serve (status under a customer, the rule)
filter the pages read, and the query reads on until the page is full or the index ends.

The indexes are eventually consistent, as every GSI: an alert raised or saved a moment ago
may show in the list (or under its new status) a moment later; get_alert reads it
strongly consistent."""

from __future__ import annotations

from typing import Any

from ...domain.monitoring.model import Alert, AlertStatus
from ..alert_json import alert_cursor, alert_from_fields, cursor_position
from ..base import Page
from ..cursors import decode_cursor, encode_cursor
from . import items as di
from . import monitoring_items as mi
from .client import Dynamo
from .schema import ALERTS_BY_CUSTOMER, ALERTS_BY_STATUS, ALERTS_NEWEST

#: How many index items one Query reads when a filter may drop most of them.
FILTERED_READ = 200


def list_alerts(
    db: Dynamo,
    *,
    limit: int,
    cursor: str | None,
    status: AlertStatus | None,
    rule: str | None,
    since: str | None,
    until: str | None,
    customer_id: str | None,
) -> Page[Alert]:
    names: dict[str, str] = {"#k": "feed"}
    values: dict[str, Any] = {":k": mi.ALERT_FEED}
    index = ALERTS_NEWEST
    filters: list[str] = []
    if customer_id is not None:
        index, names["#k"], values[":k"] = ALERTS_BY_CUSTOMER, "customer_id", customer_id
        if status is not None:
            filters.append("#status = :status")
            names["#status"], values[":status"] = "status", status.value
    elif status is not None:
        index, names["#k"], values[":k"] = ALERTS_BY_STATUS, "status", status.value
    if rule is not None:
        filters.append("contains(#rules, :rule)")
        names["#rules"], values[":rule"] = "rules", rule
    if not di.can_exist({"pk": str(values[":k"])}):
        return Page([], None)
    # The key's upper bound is exclusive: the cursor's position or `until`, whichever is lower.
    high = min(filter(None, [until, _after(cursor)]), default=None)
    if since is not None and high is not None and since > high:
        return Page([], None)
    condition = "#k = :k"
    if since is not None and high is not None:
        condition += " AND at_id BETWEEN :low AND :high"  # inclusive: `high` is dropped below
        values[":low"], values[":high"] = since, high
    elif since is not None:
        condition += " AND at_id >= :low"
        values[":low"] = since
    elif high is not None:
        condition += " AND at_id < :high"
        values[":high"] = high
    query: dict[str, Any] = {
        "TableName": db.tables.monitoring,
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": di.to_wire(values),
        "ScanIndexForward": False,
        "Limit": max(limit + 1, FILTERED_READ) if filters else limit + 1,
    }
    if filters:
        query["FilterExpression"] = " AND ".join(filters)
    found: list[Alert] = []
    for page in db.pages("query", **query):
        found += [
            alert_from_fields(item)
            for item in map(di.from_wire, page.get("Items", []))
            if item["at_id"] != high
        ]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    return Page(found, encode_cursor(alert_cursor(found[-1])) if more else None)


def _after(cursor: str | None) -> str | None:
    """The at_id a cursor resumes below."""
    if cursor is None:
        return None
    position = cursor_position(decode_cursor(cursor))
    if position is None:
        decode_cursor("!")  # the same 422 as any other foreign cursor
        raise AssertionError  # unreachable: decode_cursor raised
    return mi.at_id(*position)
