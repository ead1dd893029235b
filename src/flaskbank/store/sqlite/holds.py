"""The hold port on SQLite. Placing a hold and resolving one are each one write: the hold's
row and the account's held_minor change together, the placement re-checked against the
debit rule on the row it lands on, a resolution conditional on the hold still being open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from ...domain.chart import check_debit
from ...domain.errors import AccountNotFound, HoldNotOpen
from ...domain.holds import Hold, HoldKind, HoldStatus
from ...domain.ledger import IdempotencyKey
from ...domain.money import Money
from .. import posting_json
from .database import SqliteDatabase
from .rows import standing


class SqliteHolds:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def place(self, hold: Hold, *, idempotency: IdempotencyKey | None = None) -> Hold:
        with self.database.write() as db:
            row = db.execute(
                "SELECT balance_minor, held_minor, status, number, type FROM accounts WHERE id=?",
                (hold.account_id,),
            ).fetchone()
            if row is None:
                raise AccountNotFound("no such account")
            check_debit(standing(row, hold.amount.currency), hold.amount)
            db.execute(
                "UPDATE accounts SET held_minor = held_minor + ? WHERE id=?",
                (hold.amount.minor, hold.account_id),
            )
            db.execute(
                "INSERT INTO holds VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    hold.id,
                    hold.account_id,
                    hold.kind.value,
                    hold.amount.minor,
                    hold.amount.currency,
                    hold.reason,
                    hold.placed_by,
                    hold.placed_at,
                    hold.expires_at,
                    hold.status.value,
                    None,
                    None,
                    None if hold.posting is None else posting_json.dumps(hold.posting),
                    None,
                ),
            )
            if idempotency is not None:
                db.execute(
                    "INSERT INTO idempotency_keys (scope, key, fingerprint, transaction_id, "
                    "created_at, hold_id) VALUES (?,?,?,'',?,?)",
                    (
                        idempotency.scope,
                        idempotency.key,
                        idempotency.fingerprint,
                        hold.placed_at,
                        hold.id,
                    ),
                )
        return hold

    def resolve(self, hold: Hold, status: HoldStatus, *, by: str, at: str) -> Hold:
        with self.database.write() as db:
            close(db, hold, status, by=by, at=at)
        return hold.resolved(status, by, at)

    def get(self, account_id: str, hold_id: str) -> Hold | None:
        row = self.database.conn.execute(
            "SELECT * FROM holds WHERE id=? AND account_id=?", (hold_id, account_id)
        ).fetchone()
        return None if row is None else row_to_hold(row)

    def find(self, hold_id: str) -> Hold | None:
        row = self.database.conn.execute("SELECT * FROM holds WHERE id=?", (hold_id,)).fetchone()
        return None if row is None else row_to_hold(row)

    def holds_of(self, account_id: str, *, open_only: bool = False) -> list[Hold]:
        rows = self.database.conn.execute(
            "SELECT * FROM holds WHERE account_id=?"
            + (" AND status='open'" if open_only else "")
            + " ORDER BY placed_at DESC, id",
            (account_id,),
        ).fetchall()
        return [row_to_hold(r) for r in rows]

    def due(self, now: str, *, limit: int) -> list[Hold]:
        rows = self.database.conn.execute(
            "SELECT * FROM holds WHERE status='open' AND expires_at<=? ORDER BY expires_at LIMIT ?",
            (now, limit),
        ).fetchall()
        return [row_to_hold(r) for r in rows]

    def all_holds(self) -> Iterator[Hold]:
        for row in self.database.conn.execute("SELECT * FROM holds ORDER BY placed_at"):
            yield row_to_hold(row)


def close(db: sqlite3.Connection, hold: Hold, status: HoldStatus, *, by: str, at: str) -> None:
    """Resolve the hold, once: HoldNotOpen when someone resolved it first."""
    done = db.execute(
        "UPDATE holds SET status=?, resolved_by=?, resolved_at=?, transaction_id=? "
        "WHERE id=? AND status='open'",
        (status.value, by, at, hold.resolved(status, by, at).transaction_id, hold.id),
    ).rowcount
    if not done:
        raise HoldNotOpen("the hold was already resolved")
    db.execute(
        "UPDATE accounts SET held_minor = held_minor - ? WHERE id=?",
        (hold.amount.minor, hold.account_id),
    )


def row_to_hold(r: sqlite3.Row) -> Hold:
    return Hold(
        id=r["id"],
        account_id=r["account_id"],
        kind=HoldKind(r["kind"]),
        amount=Money.from_minor(r["amount_minor"], r["currency"]),
        reason=r["reason"],
        placed_by=r["placed_by"],
        placed_at=r["placed_at"],
        expires_at=r["expires_at"],
        status=HoldStatus(r["status"]),
        resolved_by=r["resolved_by"],
        resolved_at=r["resolved_at"],
        posting=None if r["posting"] is None else posting_json.loads(r["posting"]),
        transaction_id=r["transaction_id"],
    )
