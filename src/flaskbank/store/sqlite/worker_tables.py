"""The ports the background worker needs on SQLite: job leases and standing orders."""

from __future__ import annotations

import sqlite3

from ...domain.errors import StaleRecord, ValidationFailed
from ...domain.standing_orders import (
    MAX_ORDERS_PER_CUSTOMER,
    OrderStatus,
    Run,
    RunOutcome,
    StandingOrder,
)
from .database import SqliteDatabase


class SqliteLeases:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def acquire(self, name: str, owner: str, *, now: str, until: str) -> bool:
        with self.database.write() as db:
            taken = db.execute(
                "INSERT INTO leases (name, owner, until) VALUES (?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET owner=excluded.owner, until=excluded.until "
                "WHERE leases.until <= ? OR leases.owner = excluded.owner",
                (name, owner, until, now),
            ).rowcount
        return bool(taken)

    def release(self, name: str, owner: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM leases WHERE name=? AND owner=?", (name, owner))

    def holder(self, name: str) -> tuple[str, str] | None:
        row = self.database.conn.execute(
            "SELECT owner, until FROM leases WHERE name=?", (name,)
        ).fetchone()
        return None if row is None else (row["owner"], row["until"])


class SqliteStandingOrders:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_order(self, order: StandingOrder) -> None:
        with self.database.write() as db:
            held = db.execute(
                "SELECT count(*) FROM standing_orders WHERE user_id=? AND status='active'",
                (order.user_id,),
            ).fetchone()[0]
            if held >= MAX_ORDERS_PER_CUSTOMER:
                raise ValidationFailed(
                    {"amount": f"at most {MAX_ORDERS_PER_CUSTOMER} active standing orders"}
                )
            db.execute(
                "INSERT INTO standing_orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    order.id,
                    order.user_id,
                    order.from_account_id,
                    order.to_account_number,
                    order.amount,
                    order.memo,
                    order.day_of_month,
                    order.next_run,
                    order.end_date,
                    order.status.value,
                    order.created_at,
                    order.version,
                    order.last_outcome,
                ),
            )

    def get_order(self, user_id: str, order_id: str) -> StandingOrder | None:
        row = self.database.conn.execute(
            "SELECT * FROM standing_orders WHERE id=? AND user_id=?", (order_id, user_id)
        ).fetchone()
        return None if row is None else _order(row)

    def orders_of(self, user_id: str) -> list[StandingOrder]:
        rows = self.database.conn.execute(
            "SELECT * FROM standing_orders WHERE user_id=? ORDER BY created_at DESC, id",
            (user_id,),
        ).fetchall()
        return [_order(r) for r in rows]

    def save_order(self, order: StandingOrder) -> None:
        with self.database.write() as db:
            done = db.execute(
                "UPDATE standing_orders SET next_run=?, status=?, version=?, last_outcome=? "
                "WHERE id=? AND version=?",
                (
                    order.next_run,
                    order.status.value,
                    order.version,
                    order.last_outcome,
                    order.id,
                    order.version - 1,
                ),
            ).rowcount
            if not done:
                raise StaleRecord("the standing order changed meanwhile")

    def due_orders(self, today: str, *, limit: int) -> list[StandingOrder]:
        rows = self.database.conn.execute(
            "SELECT * FROM standing_orders WHERE status='active' AND next_run<=? "
            "ORDER BY next_run, id LIMIT ?",
            (today, limit),
        ).fetchall()
        return [_order(r) for r in rows]

    def record_run(self, run: Run) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO standing_order_runs VALUES (?,?,?,?,?,?)",
                (run.order_id, run.on, run.outcome.value, run.at, run.transaction_id, run.detail),
            )

    def runs_of(self, order_id: str, *, limit: int) -> list[Run]:
        rows = self.database.conn.execute(
            "SELECT * FROM standing_order_runs WHERE order_id=? ORDER BY run_on DESC LIMIT ?",
            (order_id, limit),
        ).fetchall()
        return [
            Run(
                r["order_id"],
                r["run_on"],
                RunOutcome(r["outcome"]),
                r["at"],
                r["transaction_id"],
                r["detail"],
            )
            for r in rows
        ]


def _order(r: sqlite3.Row) -> StandingOrder:
    return StandingOrder(
        id=r["id"],
        user_id=r["user_id"],
        from_account_id=r["from_account_id"],
        to_account_number=r["to_account_number"],
        amount=r["amount"],
        memo=r["memo"],
        day_of_month=r["day_of_month"],
        next_run=r["next_run"],
        end_date=r["end_date"],
        status=OrderStatus(r["status"]),
        created_at=r["created_at"],
        version=r["version"],
        last_outcome=r["last_outcome"],
    )
