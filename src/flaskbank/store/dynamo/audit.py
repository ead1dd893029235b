"""The audit port on DynamoDB: one partition of events in time order, read newest first by
its own keys or the by_action and by_actor indexes; append-only (the app's IAM policy
grants no UpdateItem or DeleteItem on it)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ...domain.errors import StoreError
from ...domain.security import AuditAction, AuditEvent
from ..base import Page
from ..cursors import encode_cursor
from . import items as di
from .client import Connected
from .reads import newest_first
from .schema import BY_ACTION, BY_ACTOR

_sequence_lock = threading.Lock()
_last_sequence = 0


def _sequence() -> int:
    """Increasing within this process: orders audit events that share a timestamp (a test's
    frozen clock) in the order they were appended, as the SQL store's rowid does."""
    global _last_sequence
    with _sequence_lock:
        _last_sequence = max(_last_sequence + 1, time.time_ns())
        return _last_sequence


class DynamoAudit(Connected):
    def append_audit(self, event: AuditEvent) -> None:
        # Append-only: a put never replaces an event, and the app's IAM policy grants no
        # UpdateItem or DeleteItem on this table.
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.db.tables.audit,
                        "Item": di.to_wire(di.audit_item(event, _sequence())),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                StoreError("that audit event is already recorded"),
            )
        )

    def audit_log(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        action: AuditAction | None = None,
        actor_email: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Page[AuditEvent]:
        query: dict[str, Any] = {"TableName": self.db.tables.audit}
        filters: dict[str, Any] = {}
        partition: dict[str, str]
        if action is not None:
            query["IndexName"], partition = BY_ACTION, {"action": action.value}
            if actor_email is not None:
                query |= {
                    "FilterExpression": "#actor = :actor",
                    "ExpressionAttributeNames": {"#actor": "actor_email"},
                }
                filters[":actor"] = actor_email
        elif actor_email is not None:
            query["IndexName"], partition = BY_ACTOR, {"actor_email": actor_email}
        else:
            query["ConsistentRead"], partition = True, {"pk": "LOG"}
        items, more = newest_first(
            self.db,
            query,
            partition,
            {"pk": "LOG"},
            di.AUDIT_SK,
            limit=limit,
            cursor=cursor,
            since=since,
            until=until,
            filters=filters,
        )
        return Page(
            [di.to_audit(i) for i in items], encode_cursor(items[-1]["sk"]) if more else None
        )
