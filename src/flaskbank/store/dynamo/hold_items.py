"""Hold items on DynamoDB and the writes that close one (shared by the hold port and the
posting path, which releases a pending transfer's hold in the posting's own write)."""

from __future__ import annotations

from typing import Any

from ...domain.errors import HoldNotOpen
from ...domain.holds import Hold, HoldKind, HoldStatus
from ...domain.money import Money
from .. import posting_json
from . import items as di
from .client import IfRefused


def close(tables: Any, done: Hold) -> tuple[dict[str, Any], IfRefused]:
    """The writes that resolve a hold once: its record, conditional on its being open (else
    HoldNotOpen), and its amount taken off the account's held amount (a version bump, so that
    a posting that read the account before cannot write over it)."""
    values: dict[str, Any] = {
        ":status": done.status.value,
        ":by": done.resolved_by,
        ":at": done.resolved_at,
        ":open": HoldStatus.OPEN.value,
    }
    update = "SET #status = :status, resolved_by = :by, resolved_at = :at"
    if done.transaction_id is not None:
        update += ", transaction_id = :txn"
        values[":txn"] = done.transaction_id
    return (
        {
            "Update": {
                "TableName": tables.holds,
                "Key": di.to_wire({"pk": done.account_id, "sk": done.id}),
                "UpdateExpression": update + " REMOVE #due",
                "ConditionExpression": "#status = :open",
                "ExpressionAttributeNames": {"#status": "status", "#due": "due"},
                "ExpressionAttributeValues": di.to_wire(values),
            }
        },
        HoldNotOpen("the hold was already resolved"),
    )


def unreserve(tables: Any, done: Hold) -> tuple[dict[str, Any], IfRefused]:
    return (
        {
            "Update": {
                "TableName": tables.accounts,
                "Key": di.to_wire(di.account_key(done.account_id)),
                "UpdateExpression": (
                    "SET held_minor = held_minor - :amount, version = version + :one"
                ),
                "ExpressionAttributeValues": di.to_wire({":amount": done.amount.minor, ":one": 1}),
            }
        },
        None,
    )


def hold_item(hold: Hold) -> di.Item:
    item: di.Item = {
        "pk": hold.account_id,
        "sk": hold.id,
        "kind": hold.kind.value,
        "amount_minor": hold.amount.minor,
        "currency": hold.amount.currency,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at,
        "status": hold.status.value,
    }
    if hold.expires_at is not None:
        item |= {"expires_at": hold.expires_at, "due": "OPEN"}
    if hold.posting is not None:
        item["posting"] = posting_json.dumps(hold.posting)
    return item


def to_hold(item: di.Item) -> Hold:
    return Hold(
        id=item["sk"],
        account_id=item["pk"],
        kind=HoldKind(item["kind"]),
        amount=Money.from_minor(int(item["amount_minor"]), item["currency"]),
        reason=item["reason"],
        placed_by=item["placed_by"],
        placed_at=item["placed_at"],
        expires_at=item.get("expires_at"),
        status=HoldStatus(item["status"]),
        resolved_by=item.get("resolved_by"),
        resolved_at=item.get("resolved_at"),
        posting=posting_json.loads(item["posting"]) if item.get("posting") else None,
        transaction_id=item.get("transaction_id"),
    )
