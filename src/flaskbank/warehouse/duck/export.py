"""Parquet for readers beyond this machine (Athena, Spark, DuckDB anywhere): the entries
partitioned by month (entries/year=YYYY/month=M/), each other table as one file in a
directory of its own (Athena reads a table from a directory)."""

from __future__ import annotations

from pathlib import Path

import duckdb

_WHOLE = (
    "customers",
    "accounts",
    "daily_totals",
    "daily_groups",
    "daily_pairs",
    "status_changes",
    "hold_events",
)


def export(con: duckdb.DuckDBPyConnection, to: Path) -> list[Path]:
    to.mkdir(parents=True, exist_ok=True)
    entries = to / "entries"
    con.execute(
        "COPY (SELECT *, year(day) AS year, month(day) AS month FROM entries)"
        f" TO {_quoted(entries)} (FORMAT parquet, PARTITION_BY (year, month),"
        " OVERWRITE_OR_IGNORE true)"
    )
    for table in _WHOLE:
        (to / table).mkdir(exist_ok=True)
        target = to / table / f"{table}.parquet"
        con.execute(f"COPY {table} TO {_quoted(target)} (FORMAT parquet)")
    return sorted(p for p in to.rglob("*.parquet"))


def _quoted(path: Path) -> str:
    # COPY takes no parameter for its target; the path is ours, quoted as SQL text.
    return "'" + str(path).replace("'", "''") + "'"
