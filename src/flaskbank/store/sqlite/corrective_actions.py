"""Corrective actions against compliance findings, on SQLite. Writes go through
database.write(), so inside a unit of work they commit with their audit entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...domain.compliance import CorrectiveAction
from ...domain.errors import StoreError
from .database import SqliteDatabase

_ACTION = "id, finding, customer_id, at, author_id, author_email, text"
#: SQLite's default limit on a statement's parameters is far above this; chunks keep the
#: statement short when a review lists many findings.
_CHUNK = 500


class SqliteCorrectiveActions:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_action(self, action: CorrectiveAction) -> None:
        with self.database.write() as db:
            try:
                db.execute(
                    f"INSERT INTO corrective_actions ({_ACTION}) VALUES (?,?,?,?,?,?,?)",
                    (
                        action.id,
                        action.finding,
                        action.customer_id,
                        action.at,
                        action.author_id,
                        action.author_email,
                        action.text,
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise StoreError("that corrective action is stored") from e

    def actions_on(self, findings: Sequence[str]) -> dict[str, list[CorrectiveAction]]:
        found: dict[str, list[CorrectiveAction]] = {}
        wanted = sorted(set(findings))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self.database.conn.execute(
                # By time then id, as DynamoDB's sort key <at>#<id> orders them.
                f"SELECT {_ACTION} FROM corrective_actions WHERE finding IN "  # noqa: S608
                f"({','.join('?' * len(chunk))}) ORDER BY finding, at, id",
                chunk,
            ).fetchall()
            for row in rows:
                found.setdefault(row[1], []).append(CorrectiveAction(*row))
        return found
