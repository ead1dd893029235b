"""Corrective actions against compliance findings, on DynamoDB: in the `notes` table (staff's
writing about customers), one partition per finding (pk FINDING#<finding key>, sk
<at>#<action id>), so that the review reads each finding's actions with one query. Writes
go through db.write, so inside a unit of work they commit with their audit entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...domain.compliance import CorrectiveAction
from ...domain.errors import StoreError
from . import items as di
from .client import Connected

_FIELDS = ("id", "finding", "customer_id", "at", "author_id", "author_email", "text")


class DynamoCorrectiveActions(Connected):
    def add_action(self, action: CorrectiveAction) -> None:
        # The key follows from the action alone, so that writing it again is refused.
        item = {
            "pk": f"FINDING#{action.finding}",
            "sk": f"{action.at}#{action.id}",
            **{k: getattr(action, k) for k in _FIELDS},
        }
        self.db.write(
            (
                {"Put": di.put_new(self.tables.notes, item)},
                StoreError("that corrective action is stored"),
            )
        )

    def actions_on(self, findings: Sequence[str]) -> dict[str, list[CorrectiveAction]]:
        found: dict[str, list[CorrectiveAction]] = {}
        for finding in sorted(set(findings)):
            query: dict[str, Any] = {
                "TableName": self.tables.notes,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": di.to_wire({":pk": f"FINDING#{finding}"}),
                "ConsistentRead": True,
            }
            while True:
                page = self.db.call("query", **query)
                for raw in page.get("Items", []):
                    item = di.from_wire(raw)
                    found.setdefault(finding, []).append(
                        CorrectiveAction(*(str(item[k]) for k in _FIELDS))
                    )
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found
