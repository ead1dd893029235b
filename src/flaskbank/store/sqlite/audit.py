"""The audit port on SQLite: an append-only table (triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

import json
import sqlite3

from ...domain.security import AuditAction, AuditEvent
from ..base import Page
from ..cursors import encode_cursor
from .database import SqliteDatabase
from .rows import row_position


class SqliteAudit:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def append_audit(self, event: AuditEvent) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO audit_log (id,at,action,actor_id,actor_email,ip,target,"
                "details) VALUES (?,?,?,?,?,?,?,?)",
                (
                    event.id,
                    event.at,
                    event.action.value,
                    event.actor_id,
                    event.actor_email,
                    event.ip,
                    event.target,
                    json.dumps(event.details),
                ),
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
        where: list[str] = ["1=1"]
        args: list[object] = []
        for clause, value in (
            ("seq<?", row_position(cursor)),
            ("action=?", action and action.value),
            ("actor_email=?", actor_email),
            ("at>=?", since),
            ("at<?", until),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self.database.conn.execute(
            f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_audit(r) for r in rows], encode_cursor(rows[-1]["seq"]) if more else None)


def _audit(r: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        r["id"],
        r["at"],
        AuditAction(r["action"]),
        r["actor_id"],
        r["actor_email"],
        r["ip"],
        r["target"],
        json.loads(r["details"]),
    )
