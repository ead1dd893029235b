"""The analytics warehouse (issue 12): sync rate from an SQLite bank made by `flaskbank
generate`, deposit growth from the warehouse against the same question asked straight of
SQLite, and the warehouse's size per million transactions.

    .venv/bin/python bench/bench_warehouse.py --customers 2000 --months 12   # ~0.5M transactions
    .venv/bin/python bench/bench_warehouse.py --db data/flaskbank.db          # an existing bank
    .venv/bin/python bench/bench_warehouse.py --customers 30 --months 2       # a smoke run

Targets: sync >= 100,000 transactions/s; every report under 1 s at 10 million transactions,
at least 10x faster than the same question straight from SQLite.

Measured (2026-11-26 08:29, 2 cores, load average 1.1, --customers 4500 --months 12
--rounds 3: 493,661 transactions, 745,632 events): sync 68,962 transactions/s (104,161
events/s; 20,467 transactions/s before DuckDB parsed the feed); 101.8 MiB per million
transactions; by month over the year, warehouse vs straight from SQLite: deposit growth
19.6 vs 530.3 ms (27.0x), customer acquisition 39.2 vs 1,674.0 ms (42.7x), transaction
volume 33.6 vs 462.4 ms (13.8x), customer activity 39.3 vs 1,039.4 ms (26.4x), balances
107.1 vs 1,502.6 ms (14.0x), top customers 69.7 vs 2,040.7 ms (29.3x), builder (deposits
by account type) 23.0 vs 156.6 ms (6.8x). docs/analytics.md.

At 10 million (2026-11-26 11:17, quiet, --db on `flaskbank generate --customers 50958 --months
24 --seed 1`: 10,775,856 transactions, 16,152,095 events): sync 81,689 transactions/s (131.9
s, peak RSS 1,918 MiB); 84.4 MiB per million transactions; by month over 24 months: deposit
growth 24.1 vs 15,575.6 ms (646.8x), customer acquisition 130.6 vs 28,995.8 ms (222.0x),
transaction volume 41.1 vs 11,736.4 ms (285.6x), customer activity 74.9 vs 27,004.7 ms
(360.6x), balances 555.4 vs 38,757.1 ms (69.8x), top customers 536.6 vs 50,312.7 ms (93.8x),
builder 20.4 vs 3,411.4 ms (167.6x); every agreement check passed.

Again at 10 million (2026-11-26 14:05, quiet, --rounds 1), the sync in batches of 1,000,000
events as `rebuild` does (feed.CATCH_UP): **110,404 transactions/s** (97.6 s, 165,486
events/s, peak RSS 3,534 MiB); 79.5 MiB per million transactions; deposit growth 21.9 vs
15,434.1 ms (706.3x), customer acquisition 170.7 vs 29,254.5 ms (171.4x), transaction
volume 45.9 vs 10,338.1 ms (225.1x), customer activity 74.6 vs 26,232.2 ms (351.8x),
balances 633.2 vs 38,439.3 ms (60.7x), top customers 549.8 vs 48,705.4 ms (88.6x), builder
46.8 vs 3,293.1 ms (70.3x); every agreement check passed.

With the closing days kept (schema 6; 2026-11-26 15:45, --rounds 2, another session's work
on the machine, load average 1.4 to 4.8): the rebuild published after 122.1 s (88,273
transactions/s; loaded), its 730 closing days kept 29.3 s later; balances by day 427.4 ms
against 27,957.2 ms computed from the entries (65.4x), by week 398.0 vs 4,437.3 ms (11.1x),
kept and computed equal; by month deposit growth 87.8 ms (169.9x SQLite), customer
acquisition 261.9 ms (118.3x), transaction volume 43.3 ms (279.4x), customer activity
74.2 ms (354.9x), balances 458.1 ms (90.9x), top customers 871.9 ms (53.8x), builder
33.8 ms (101.2x).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import date
from pathlib import Path

from baseline_balances import balances_from_sqlite, top_customers_from_sqlite

from flaskbank.domain.accounts import Role, User
from flaskbank.services.analytics import customer_acquisition, feed, reports
from flaskbank.services.analytics.catalog import Query, money
from flaskbank.services.analytics.customer_activity import ACTIVE_DAYS, CHURNED_DAYS
from flaskbank.services.analytics.deposit_growth import deposit_growth
from flaskbank.services.analytics.periods import Period, spans
from flaskbank.services.analytics.transaction_volume import VolumeTables, transaction_volume
from flaskbank.store.sqlite import SqliteStore
from flaskbank.warehouse.base import CohortDay, DayFlow, Measure, SignupDay, Volume
from flaskbank.warehouse.duck import DuckWarehouse, balances

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


def _anniversary(column: str, k: int) -> str:
    """SQLite's date(d, '+1 month') runs 31 January on into March: take the month's last day
    when it is earlier (customer_acquisition.add_months)."""
    return (
        f"min(date({column}, '+{k} months'), date({column}, 'start of month', '+{k + 1} months',"
        " '-1 day'))"
    )


def customer_acquisition_from_sqlite(
    db: Path, asked: Query
) -> tuple[list[SignupDay], list[CohortDay]]:
    """Customer acquisition asked of the operational store: signups per day with their
    activation, and each signup day's customers with their entries up to 12 months on,
    joined through their accounts; the cohorts summed per day and currency in Python."""
    covered = spans(asked.first, asked.last, asked.period)
    first, last = covered[0][0].isoformat(), covered[-1][1].isoformat()
    ks = customer_acquisition.MONTHS
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        signed = con.execute(
            "SELECT substr(u.created_at, 1, 10), count(*), sum(EXISTS (SELECT 1 FROM accounts a"
            " JOIN entries e ON e.account_id = a.id WHERE a.user_id = u.id AND e.type = 'deposit'"
            " AND e.created_at < date(substr(u.created_at, 1, 10), '+31 days')))"
            " FROM users u WHERE u.role = 'customer' AND substr(u.created_at, 1, 10) <= ?"
            " GROUP BY 1 ORDER BY 1",
            [last],
        ).fetchall()
        # Each member's anniversaries once (MATERIALIZED), then their entries by the index on
        # (account_id, created_at) up to the last anniversary.
        needed = sorted({*ks, *(k - 1 for k in ks)} - {0})
        anniversaries = ", ".join(f"{_anniversary('day', k)} AS a{k}" for k in needed)
        windows = ", ".join(
            f"max(e.day > {f'm.a{k - 1}' if k > 1 else 'm.day'} AND e.day <= m.a{k}),"
            f" sum(CASE WHEN e.day <= m.a{k} THEN e.amount_minor ELSE 0 END)"
            for k in ks
        )
        held = con.execute(
            f"WITH m AS MATERIALIZED (SELECT id, day, {anniversaries} FROM (SELECT id,"  # noqa: S608
            " substr(created_at, 1, 10) AS day FROM users WHERE role = 'customer'"
            " AND substr(created_at, 1, 10) BETWEEN ? AND ?))"
            f" SELECT m.day, m.id, e.currency, {windows} FROM m"
            " JOIN accounts a ON a.user_id = m.id JOIN (SELECT account_id, currency, amount_minor,"
            " created_at, substr(created_at, 1, 10) AS day FROM entries) e ON e.account_id = a.id"
            f" AND e.created_at < m.a{max(ks)} || 'T99' GROUP BY 1, 2, 3",
            [first, last],
        ).fetchall()
        members = con.execute(
            "SELECT substr(created_at, 1, 10), count(*) FROM users WHERE role = 'customer'"
            " AND substr(created_at, 1, 10) BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
            [first, last],
        ).fetchall()
        [(until,)] = con.execute(
            "SELECT substr(created_at, 1, 10) FROM transactions ORDER BY seq DESC LIMIT 1"
        ).fetchall()
        currencies = [c for (c,) in con.execute("SELECT DISTINCT currency FROM accounts")]
    finally:
        con.close()
    signups = [SignupDay(date.fromisoformat(d), n, a) for d, n, a in signed]
    flags: dict[tuple[str, str], list[bool]] = {}  # (day, user): active in each window
    balances: dict[str, dict[str, list[int]]] = {}  # day: currency: each anniversary's sum
    for day, user, currency, *cells in held:
        mine = flags.setdefault((day, user), [False] * len(ks))
        sums = balances.setdefault(day, {}).setdefault(currency, [0] * len(ks))
        for i in range(len(ks)):
            mine[i] = mine[i] or bool(cells[2 * i])
            sums[i] += cells[2 * i + 1]
    active: dict[str, list[int]] = {}
    for (day, _), mine in flags.items():
        counts = active.setdefault(day, [0] * len(ks))
        for i in range(len(ks)):
            counts[i] += mine[i]
    cohorts = [
        CohortDay(
            date.fromisoformat(day),
            n,
            tuple(active.get(day, [0] * len(ks))),
            {c: tuple(v) for c, v in sorted(balances.get(day, {}).items())},
        )
        for day, n in members
    ]
    customer_acquisition.acquisition(signups, asked.first, asked.last, asked.period)
    customer_acquisition.cohorts(
        cohorts,
        asked.first,
        asked.last,
        asked.period,
        known_until=date.fromisoformat(until),
        currencies=currencies,
    )
    return signups, cohorts


def transaction_volume_from_sqlite(db: Path, asked: Query) -> VolumeTables:
    """Transaction volume asked of the operational store (its days are UTC, as the bench's
    warehouse): one row per transaction, grouped by day, hour, type and currency."""
    covered = spans(asked.first, asked.last, asked.period)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT substr(created_at, 1, 10), CAST(substr(created_at, 12, 2) AS INTEGER),"
            " type, currency, count(*), sum(amount_minor) FROM transactions"
            " WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3, 4",
            [covered[0][0].isoformat(), f"{covered[-1][1].isoformat()}T99"],
        ).fetchall()
    finally:
        con.close()
    days: dict[tuple[str, str, str], list[int]] = {}
    hours: dict[tuple[int, str, str], list[int]] = {}
    for day, hour, type_, currency, n, amount in rows:
        for cell in (
            days.setdefault((day, type_, currency), [0, 0]),
            hours.setdefault((hour, type_, currency), [0, 0]),
        ):
            cell[0] += n
            cell[1] += amount
    return transaction_volume(
        [Volume(date.fromisoformat(d), None, t, c, n, a) for (d, t, c), (n, a) in days.items()],
        [Volume(None, h, t, c, n, a) for (h, t, c), (n, a) in hours.items()],
        asked.first,
        asked.last,
        asked.period,
        asked.filters.get("type"),
    )


def customer_activity_from_sqlite(db: Path, asked: Query) -> list[tuple[int, ...]]:
    """Customer activity asked of the operational store: each customer's days with entries
    (a scan of every customer entry), their accounts' closings from the feed, and at each
    period's end each customer put in one category."""
    ends = [end.isoformat() for _, end in spans(asked.first, asked.last, asked.period)]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        signed = dict(
            con.execute("SELECT id, substr(created_at, 1, 10) FROM users WHERE role = 'customer'")
        )
        active: dict[str, list[str]] = {}
        for user, day in con.execute(
            "SELECT DISTINCT a.user_id, substr(e.created_at, 1, 10) FROM entries e"
            " JOIN accounts a ON a.id = e.account_id ORDER BY 1, 2"
        ):
            active.setdefault(user, []).append(day)
        accounts = con.execute("SELECT id, user_id, substr(opened_at, 1, 10) FROM accounts")
        owned: dict[str, list[tuple[str, str]]] = {}
        for account, user, opened in accounts:
            owned.setdefault(user, []).append((account, opened))
        changes: dict[str, list[tuple[str, str]]] = {}
        for account, status, at in con.execute(
            "SELECT subject, json_extract(payload, '$.status'), substr(at, 1, 10) FROM events"
            " WHERE kind = 'account_status_changed' ORDER BY position"
        ):
            changes.setdefault(account, []).append((at, status))
    finally:
        con.close()

    def closed(user: str, end: str) -> bool:
        mine = [a for a, opened in owned.get(user, []) if opened <= end]
        statuses = [[s for at, s in changes.get(a, []) if at <= end] for a in mine]
        return bool(mine) and all(s and s[-1] == "closed" for s in statuses)

    rows = []
    for end in ends:
        day = date.fromisoformat(end)
        counts = [0, 0, 0, 0]  # active, dormant, churned, never active
        members = [u for u, joined in signed.items() if joined <= end]
        for user in members:
            days = active.get(user, [])
            last = days[bisect_right(days, end) - 1] if days and days[0] <= end else None
            quiet = (day - date.fromisoformat(last)).days if last else None
            if closed(user, end) or (quiet is not None and quiet >= CHURNED_DAYS):
                counts[2] += 1
            elif quiet is None:
                counts[3] += 1
            else:
                counts[0 if quiet < ACTIVE_DAYS else 1] += 1
        rows.append((len(members), *counts))
    return rows


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
    "customer_acquisition": customer_acquisition_from_sqlite,
    "transaction_volume": transaction_volume_from_sqlite,
    "customer_activity": customer_activity_from_sqlite,
    "balances": balances_from_sqlite,
    "top_customers": top_customers_from_sqlite,
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
    parser.add_argument("--keep", action="store_true", help="keep the warehouse (and bank) made")
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
    events = feed.rebuild(store, warehouse)  # as `flaskbank warehouse rebuild` does
    load, cpu = time.perf_counter() - wall, time.process_time() - cpu
    started = time.perf_counter()
    days = feed.close_days(store, warehouse)
    closing = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"sync from scratch: {transactions:,} transactions ({events:,} events) in {load:.2f} s:"
        f" {transactions / load:,.0f} transactions/s, {events / load:,.0f} events/s"
        f" (CPU {cpu:.2f} s); peak RSS {peak_mib:,.0f} MiB"
    )
    print(
        f"closing balances kept for {days:,} days after publication: {closing:.2f} s"
        f" ({transactions / (load + closing):,.0f} transactions/s counting them)"
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
    _kept_closings(warehouse, first, last, args.rounds)
    with warehouse.reading() as reader:
        end = spans(first, last, Period.MONTH)[-1][1]
        flows = deposit_growth_from_sqlite(
            db, reports.parse_query(reports.SPECS["deposit_growth"], params)
        )
        assert reader.day_flows(end) == flows, "the warehouse and SQLite disagree"
        signups, cohorts = customer_acquisition_from_sqlite(
            db, reports.parse_query(reports.SPECS["customer_acquisition"], params)
        )
        assert reader.signup_days(end) == signups, "signups: the warehouse and SQLite disagree"
        followed = reader.cohort_days(first.replace(day=1), end, customer_acquisition.MONTHS)
        assert followed == cohorts, "cohorts: the warehouse and SQLite disagree"
        asked = reports.parse_query(
            reports.SPECS["builder"], {**params, **BENCH_FILTERS["builder"]}
        )
        covered = spans(asked.first, asked.last, asked.period)
        ask = Measure("deposits", "month", covered[0][0], covered[-1][1], "account_type")
        measured = [
            (m.start.isoformat()[:7], m.group, m.currency, m.value) for m in reader.measure(ask)
        ]
        assert measured == builder_from_sqlite(db, asked), "the builder and SQLite disagree"

    _agree(warehouse, db, params)
    for name, baseline in (
        ("balances", balances_from_sqlite),
        ("top_customers", top_customers_from_sqlite),
    ):
        asked = reports.parse_query(reports.SPECS[name], params)
        tables = {
            t.name: t.rows
            for t in reports.run(warehouse, MANAGER, reports.SPECS[name], asked).tables
        }
        for table, rows in baseline(db, asked).items():
            assert tables[table] == rows, f"{name}: the warehouse and SQLite disagree on {table}"
    store.close()
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)  # a generated bank and its warehouse: hundreds of MB a run


def _kept_closings(warehouse: DuckWarehouse, first: date, last: date, rounds: int) -> None:
    """Balances by day and by week over the whole range: the report as staff ask it (the
    days that are over read from closing_days) against the same groups computed from the
    entries in the same warehouse (what it did before it kept them), which must agree."""
    spec = reports.SPECS["balances"]
    for period in (Period.DAY, Period.WEEK):
        params = {"from": first.isoformat(), "to": last.isoformat(), "period": period.value}
        asked = reports.parse_query(spec, params)
        t_kept, _ = timed(lambda: reports.run(warehouse, MANAGER, spec, asked), rounds)  # noqa: B023
        days = [end for _, end in spans(asked.first, asked.last, period)]
        with warehouse.reading() as reader:
            kept = balances.balance_groups(reader.con, days, None, None)
            started = time.perf_counter()
            computed = balances.balance_groups(reader.con, days, None, None, kept=False)
            t_computed = time.perf_counter() - started
        assert kept == computed, f"balances by {period.value}: kept and computed disagree"
        print(
            f"balances by {period.value}, {len(days)} days: warehouse {t_kept * 1000:.1f} ms,"
            f" computed from the entries {t_computed * 1000:.1f} ms: {t_computed / t_kept:.1f}x"
        )


def _agree(warehouse: DuckWarehouse, db: Path, params: dict[str, str]) -> None:
    """Transaction volume and customer activity: the warehouse's figures are SQLite's."""
    volume = reports.SPECS["transaction_volume"]
    asked = reports.parse_query(volume, params)
    tables = reports.run(warehouse, MANAGER, volume, asked).tables
    expected = transaction_volume_from_sqlite(db, asked)
    wanted = (expected.by_period, expected.by_hour, expected.by_weekday)
    for table, rows in zip(tables, wanted, strict=True):
        got = [(r["transactions"], r["amount"]) for r in table.rows]
        assert got == [(str(r.transactions), money(r.amount, r.currency)) for r in rows]
    activity = reports.SPECS["customer_activity"]
    asked = reports.parse_query(activity, params)
    names = ("customers", "active", "dormant", "churned", "never_active")
    got_rows = reports.run(warehouse, MANAGER, activity, asked).rows
    got_counts = [tuple(int(r[n] or 0) for n in names) for r in got_rows]
    assert got_counts == customer_activity_from_sqlite(db, asked), "activity disagrees"


if __name__ == "__main__":
    main()
