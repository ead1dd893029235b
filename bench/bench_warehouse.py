"""The analytics warehouse (issue 12): sync rate from an SQLite bank made by `flaskbank
generate`, deposit growth from the warehouse against the same question asked straight of
SQLite, and the warehouse's size per million transactions.

    .venv/bin/python bench/bench_warehouse.py --customers 2000 --months 12   # ~0.5M transactions
    .venv/bin/python bench/bench_warehouse.py --db data/flaskbank.db          # an existing bank
    .venv/bin/python bench/bench_warehouse.py --customers 30 --months 2       # a smoke run

Targets: sync >= 100,000 transactions/s; every report under 1 s at 10 million transactions,
at least 10x faster than the same question straight from SQLite.

Measured (2026-11-26, 2 shared cores, --customers 4500 --months 12: 493,661 transactions):
sync 20,467 transactions/s; 48.1 MiB per million transactions; deposit growth by month
39.5 ms from the warehouse, 1,035.6 ms straight from SQLite (26.2x). docs/analytics.md.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flaskbank.domain.accounts import Role, User
from flaskbank.services.analytics import feed, reports
from flaskbank.services.analytics.catalog import Query
from flaskbank.services.analytics.deposit_growth import deposit_growth
from flaskbank.services.analytics.periods import Period, spans
from flaskbank.store.sqlite import SqliteStore
from flaskbank.warehouse.base import DayFlow, Measure
from flaskbank.warehouse.duck import DuckWarehouse

MANAGER = User("bench", "bench@bank.example", "Bench", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


def generate(db: Path, customers: int, months: int, seed: int) -> None:
    env = {**os.environ, "FLASKBANK_STORE": f"sqlite:///{db}", "FLASKBANK_DATA_DIR": str(db.parent)}
    command = [sys.executable, "-c", "from flaskbank.cli import main; main()", "generate"]
    options = ["--customers", str(customers), "--months", str(months), "--seed", str(seed)]
    subprocess.run([*command, *options, "--quiet"], env=env, check=True)


def deposit_growth_from_sqlite(db: Path, asked: Query) -> list[DayFlow]:
    """The daily flows of deposit growth asked of the operational store: every customer
    entry up to the last period's end, grouped by day and currency."""
    last = spans(asked.first, asked.last, asked.period)[-1][1]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT substr(created_at, 1, 10), currency,"
            " sum(CASE WHEN type = 'deposit' THEN amount_minor ELSE 0 END),"
            " -sum(CASE WHEN type = 'withdrawal' THEN amount_minor ELSE 0 END),"
            " sum(amount_minor) FROM entries"
            " WHERE account_id NOT LIKE 'bank-%' AND created_at < ?"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            [f"{last.isoformat()}T99"],
        ).fetchall()
    finally:
        con.close()
    flows = [DayFlow(date.fromisoformat(d), c, dep, wd, net) for d, c, dep, wd, net in rows]
    deposit_growth(flows, asked.first, asked.last, asked.period)
    return flows


def builder_from_sqlite(db: Path, asked: Query) -> list[tuple[str, str, str, int]]:
    """The builder's benchmarked question (BUILDER: deposits by month and account type)
    asked of the operational store: every customer deposit entry in the range, joined to its
    account, grouped by month, account type and currency."""
    covered = spans(asked.first, asked.last, asked.period)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(
            "SELECT substr(e.created_at, 1, 7), a.type, e.currency, sum(e.amount_minor)"
            " FROM entries e JOIN accounts a ON a.id = e.account_id"
            " WHERE e.type = 'deposit' AND e.account_id NOT LIKE 'bank-%'"
            " AND e.created_at >= ? AND e.created_at < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            [covered[0][0].isoformat(), f"{covered[-1][1].isoformat()}T99"],
        ).fetchall()
    finally:
        con.close()


#: Each built-in report's question asked straight of the SQLite store, the baseline it is
#: measured against: the same figures, computed the way one would without a warehouse.
BASELINES: dict[str, Callable[[Path, Query], object]] = {
    "deposit_growth": deposit_growth_from_sqlite,
    "builder": builder_from_sqlite,
}
#: The filters a report is benchmarked with, besides the range and the period.
BENCH_FILTERS: dict[str, dict[str, str]] = {
    "builder": {"metric": "deposits", "group_by": "account_type"},
}


def timed(work: Callable[[], object], rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing SQLite bank (skips generate)")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-warehouse-"))
    db = args.db or work / "bank.db"
    if args.db is None:
        started = time.perf_counter()
        generate(db, args.customers, args.months, args.seed)
        print(f"generate: {time.perf_counter() - started:.1f} s")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        transactions = con.execute("SELECT count(*) FROM transactions").fetchone()[0]
        first_day, last_day = con.execute(
            "SELECT min(substr(created_at, 1, 10)), max(substr(created_at, 1, 10))"
            " FROM transactions"
        ).fetchone()
    store = SqliteStore(db)
    warehouse = DuckWarehouse(work / "warehouse.duckdb")

    cpu, wall = time.process_time(), time.perf_counter()
    events = feed.sync(store, warehouse, fresh=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"sync from scratch: {transactions:,} transactions ({events:,} events) in {wall:.2f} s:"
        f" {transactions / wall:,.0f} transactions/s, {events / wall:,.0f} events/s"
        f" (CPU {cpu:.2f} s)"
    )
    front = warehouse.copies.front()
    assert front is not None
    size = warehouse.copies.copy(front).stat().st_size
    print(
        f"warehouse file: {size / 2**20:.1f} MiB, {size / 2**20 / transactions * 1e6:.1f} MiB"
        " per million transactions"
    )

    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    params = {"from": first.isoformat(), "to": last.isoformat(), "period": "month"}
    for name, spec in reports.SPECS.items():
        asked = reports.parse_query(spec, {**params, **BENCH_FILTERS.get(name, {})})
        t_wh, report = timed(lambda: reports.run(warehouse, MANAGER, spec, asked), args.rounds)  # noqa: B023
        rows = len(report.rows)  # type: ignore[attr-defined]
        if name not in BASELINES:
            print(f"{name} by month, {rows} rows: warehouse {t_wh * 1000:.1f} ms, no baseline")
            continue
        baseline = BASELINES[name]
        t_sql, _ = timed(lambda: baseline(db, asked), max(1, args.rounds // 2))  # noqa: B023
        print(
            f"{name} by month, {rows} rows: warehouse {t_wh * 1000:.1f} ms,"
            f" straight from SQLite {t_sql * 1000:.1f} ms: {t_sql / t_wh:.1f}x"
        )
    with warehouse.reading() as reader:
        end = spans(first, last, Period.MONTH)[-1][1]
        flows = deposit_growth_from_sqlite(
            db, reports.parse_query(reports.SPECS["deposit_growth"], params)
        )
        assert reader.day_flows(end) == flows, "the warehouse and SQLite disagree"
        asked = reports.parse_query(
            reports.SPECS["builder"], {**params, **BENCH_FILTERS["builder"]}
        )
        covered = spans(asked.first, asked.last, asked.period)
        ask = Measure("deposits", "month", covered[0][0], covered[-1][1], "account_type")
        measured = [
            (m.start.isoformat()[:7], m.group, m.currency, m.value) for m in reader.measure(ask)
        ]
        assert measured == builder_from_sqlite(db, asked), "the builder and SQLite disagree"
    store.close()


if __name__ == "__main__":
    main()
