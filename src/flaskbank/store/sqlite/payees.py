"""Saved payees on SQLite: one row each, every statement scoped by the owner. The count is
read under the write lock (BEGIN IMMEDIATE), so two saved at once cannot pass the limit."""

from __future__ import annotations

import sqlite3

from ...domain.errors import PayeeNotFound, ValidationFailed
from ...domain.payees import MAX_PAYEES_PER_CUSTOMER, Payee
from .database import SqliteDatabase

_COLUMNS = "id, user_id, nickname, number, email, created_at"


def _payee(row: sqlite3.Row) -> Payee:
    return Payee(*(row[c] for c in ("id", "user_id", "nickname", "number", "email", "created_at")))


class SqlitePayees:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_payee(self, payee: Payee) -> None:
        with self.database.write() as db:
            (kept,) = db.execute(
                "SELECT count(*) FROM payees WHERE user_id=?", (payee.user_id,)
            ).fetchone()
            if kept >= MAX_PAYEES_PER_CUSTOMER:
                raise ValidationFailed(
                    {"nickname": f"you can keep at most {MAX_PAYEES_PER_CUSTOMER} payees"}
                )
            db.execute(
                f"INSERT INTO payees ({_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (
                    payee.id,
                    payee.user_id,
                    payee.nickname,
                    payee.number,
                    payee.email,
                    payee.created_at,
                ),
            )

    def payees_of(self, user_id: str) -> list[Payee]:
        rows = self.database.conn.execute(
            f"SELECT {_COLUMNS} FROM payees WHERE user_id=? ORDER BY created_at, id", (user_id,)
        ).fetchall()
        return [_payee(r) for r in rows]

    def get_payee(self, user_id: str, payee_id: str) -> Payee | None:
        row = self.database.conn.execute(
            f"SELECT {_COLUMNS} FROM payees WHERE user_id=? AND id=?", (user_id, payee_id)
        ).fetchone()
        return None if row is None else _payee(row)

    def rename_payee(self, user_id: str, payee_id: str, nickname: str) -> Payee:
        with self.database.write() as db:
            rows = db.execute(
                f"UPDATE payees SET nickname=? WHERE user_id=? AND id=? RETURNING {_COLUMNS}",
                (nickname, user_id, payee_id),
            ).fetchall()  # to the end, so that the statement is done before COMMIT
            if not rows:
                raise PayeeNotFound("no such payee")
            return _payee(rows[0])

    def remove_payee(self, user_id: str, payee_id: str) -> None:
        with self.database.write() as db:
            if not db.execute(
                "DELETE FROM payees WHERE user_id=? AND id=?", (user_id, payee_id)
            ).rowcount:
                raise PayeeNotFound("no such payee")
