"""A loaded bank's tables as rows, to tell whether two SQLite files hold the same bank (a
resumed or differently made load against an uninterrupted one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

TABLES = ("users", "accounts", "transactions", "entries", "events", "labels")


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table in TABLES
        }
