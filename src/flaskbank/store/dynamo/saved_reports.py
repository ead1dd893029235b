"""Saved reports on DynamoDB: the `reports` table (schema.py). Every saved report is an item
of the one `SAVED` partition (a Query reads the list whole: they are few, saved by hand),
and its name holds a lock item (`NAME` / <name key>) written in the same TransactWriteItems,
so two staff saving one name at once cannot both win. Writes go through db.write, so inside
a unit of work they commit with its audit entry."""

from __future__ import annotations

import json

from ...domain.errors import ReportNameTaken, ReportNotFound, WriteConflict
from ...domain.saved_reports import SavedReport
from . import items as di
from .client import Connected

SAVED, NAME = "SAVED", "NAME"


def _item(saved: SavedReport) -> di.Item:
    return {
        "pk": SAVED,
        "sk": saved.id,
        "name": saved.name,
        "name_key": saved.name_key,
        "report": saved.report,
        "params": json.dumps(saved.params, sort_keys=True),
        "owner_id": saved.owner_id,
        "owner_email": saved.owner_email,
        "created_at": saved.created_at,
    }


def _saved(item: di.Item) -> SavedReport:
    return SavedReport(
        str(item["sk"]),
        str(item["name"]),
        str(item["report"]),
        json.loads(str(item["params"])),
        str(item["owner_id"]),
        str(item["owner_email"]),
        str(item["created_at"]),
    )


class DynamoSavedReports(Connected):
    def add_saved_report(self, saved: SavedReport) -> None:
        table = self.tables.reports
        lock = {"pk": NAME, "sk": saved.name_key, "report_id": saved.id}
        self.db.write(
            ({"Put": di.put_new(table, _item(saved))}, WriteConflict("that id is taken")),
            (
                {"Put": di.put_new(table, lock)},
                ReportNameTaken("a saved report has that name already"),
            ),
        )

    def get_saved_report(self, report_id: str) -> SavedReport | None:
        item = self.db.get(self.tables.reports, {"pk": SAVED, "sk": report_id})
        return None if item is None else _saved(item)

    def saved_reports(self) -> list[SavedReport]:
        found = [
            _saved(di.from_wire(i))
            for page in self.db.pages(
                "query",
                TableName=self.tables.reports,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=di.to_wire({":pk": SAVED}),
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]
        return sorted(found, key=lambda s: (s.name_key, s.id))

    def remove_saved_report(self, saved: SavedReport) -> None:
        table = self.tables.reports
        self.db.write(
            (
                {
                    "Delete": {
                        "TableName": table,
                        "Key": di.to_wire({"pk": SAVED, "sk": saved.id}),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                ReportNotFound("no such saved report"),
            ),
            (
                {
                    "Delete": {
                        "TableName": table,
                        "Key": di.to_wire({"pk": NAME, "sk": saved.name_key}),
                    }
                },
                None,
            ),
        )
