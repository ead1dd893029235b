"""Saved reports on SQLite: one row each, the name unique by its key (a UNIQUE column, so
two staff saving the same name at once cannot both win). Writes go through
database.write(), so inside a unit of work they commit with its audit entry."""

from __future__ import annotations

import json
import sqlite3

from ...domain.errors import ReportNameTaken, ReportNotFound
from ...domain.saved_reports import SavedReport
from .database import SqliteDatabase

_COLUMNS = "id, name, name_key, report, params, owner_id, owner_email, created_at"


def _saved(row: sqlite3.Row) -> SavedReport:
    return SavedReport(
        row["id"],
        row["name"],
        row["report"],
        json.loads(row["params"]),
        row["owner_id"],
        row["owner_email"],
        row["created_at"],
    )


class SqliteSavedReports:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_saved_report(self, saved: SavedReport) -> None:
        with self.database.write() as db:
            try:
                db.execute(
                    f"INSERT INTO saved_reports ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        saved.id,
                        saved.name,
                        saved.name_key,
                        saved.report,
                        json.dumps(saved.params, sort_keys=True),
                        saved.owner_id,
                        saved.owner_email,
                        saved.created_at,
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise ReportNameTaken("a saved report has that name already") from e

    def get_saved_report(self, report_id: str) -> SavedReport | None:
        row = self.database.conn.execute(
            f"SELECT {_COLUMNS} FROM saved_reports WHERE id=?", (report_id,)
        ).fetchone()
        return None if row is None else _saved(row)

    def saved_reports(self) -> list[SavedReport]:
        rows = self.database.conn.execute(
            f"SELECT {_COLUMNS} FROM saved_reports ORDER BY name_key, id"
        ).fetchall()
        return [_saved(r) for r in rows]

    def remove_saved_report(self, saved: SavedReport) -> None:
        with self.database.write() as db:
            if not db.execute("DELETE FROM saved_reports WHERE id=?", (saved.id,)).rowcount:
                raise ReportNotFound("no such saved report")
