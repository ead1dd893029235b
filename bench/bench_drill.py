"""The drill-down (issue 12) at 10 million entries: the totals over a whole filter and one
page of entries, from a warehouse file whose `entries` are made in SQL (no bank needed).

    .venv/bin/python bench/bench_drill.py                     # 10,000,000 entries
    .venv/bin/python bench/bench_drill.py --entries 100000    # a smoke run
    .venv/bin/python bench/bench_drill.py --file /tmp/drill.duckdb   # built once, then reused

Each figure is the median of 3 runs of: open the file read-only (as a report does), read
the totals, read one page (50 entries), close. Entries are in time order, as the feed loads
them, so a day range skips row groups by their min/max. Ten years of entries;
30% of transactions are transfers (two entries each).

Measured (2026-11-26, 2 shared cores, 10,000,000 entries): deposits of a month 57 ms, net
flow of a year 160 ms, balances at a period end 270 ms, no filter 224 ms, a page in the middle
346 ms, savings accounts over a quarter 156 ms, one customer 548 ms, one segment with both
sides (distinct transfers counted) 1,365 ms. The other reports' kinds (later the same day,
signups spread over the years, 1% of accounts closed, days in Tokyo): a by_hour cell 97 ms, a
by_weekday cell 65 ms, a balances group open at the end 1,785 ms, a customer's balance open at
the end 547 ms, a cohort 12 months on 231 ms. docs/analytics.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from flaskbank.warehouse.duck.schema import TABLES
from flaskbank.warehouse.duck.warehouse import DuckReader
from flaskbank.warehouse.entries import EntryFilter, EntryKey, Side


def build(path: Path, entries: int) -> None:
    transactions = int(entries / 1.3)
    accounts = max(entries // 200, 10)
    step = int(10 * 365 * 86400 * 1_000_000 / transactions)  # ten years of microseconds
    con = duckdb.connect(str(path))
    con.execute(TABLES)
    con.execute(
        """
        INSERT INTO entries
        WITH t AS (
            SELECT i, uuid()::VARCHAR AS transaction_id,
                CASE WHEN i % 10 < 4 THEN 'deposit' WHEN i % 10 < 7 THEN 'withdrawal'
                     ELSE 'transfer' END AS type,
                (1 + hash(i) % 50000)::BIGINT AS amt,
                CASE WHEN i % 20 = 0 THEN 'EUR' ELSE 'USD' END AS currency,
                TIMESTAMP '2016-01-01' + to_microseconds(i * $step) AS posted_at,
                hash(i) % $accounts AS a1, hash(i + 7) % $accounts AS a2
            FROM range($transactions) r(i))
        SELECT transaction_id, 'acc-' || a, 'cus-' || (a // 2), type, amount, currency,
               posted_at, posted_at::DATE
        FROM (SELECT *, a1 AS a, CASE WHEN type = 'deposit' THEN amt ELSE -amt END AS amount,
                     0 AS leg FROM t
              UNION ALL SELECT *, a2, amt, 1 FROM t WHERE type = 'transfer')
        ORDER BY posted_at, leg
        """,
        {"step": step, "accounts": accounts, "transactions": transactions},
    )
    con.execute(
        "INSERT INTO accounts SELECT 'acc-' || i, 'cus-' || (i // 2),"
        " CASE WHEN i % 3 = 0 THEN 'savings' ELSE 'checking' END, 'USD',"
        " TIMESTAMP '2016-01-01', 'open' FROM range(?) r(i)",
        [accounts],
    )
    # Signups spread over the ten years (a day each, in turn), so a cohort is a slice of the
    # customers; 1% of accounts closed in 2020; days counted in Tokyo, so that an hour or a
    # signup day costs its time zone conversion (in UTC it is skipped).
    con.execute(
        "INSERT INTO customers SELECT 'cus-' || i, 'customer',"
        " TIMESTAMP '2016-01-01 18:00' + to_days((i % 3650)::INTEGER),"
        " ($1)[1 + i % 5] FROM range($2) r(i)",
        [["salaried", "student", "business", "retiree", "high_net_worth"], accounts // 2 + 1],
    )
    con.execute(
        "INSERT INTO status_changes SELECT 'acc-' || i, 'closed',"
        " TIMESTAMP '2020-01-01' + to_hours(i::INTEGER) FROM range(0, ?, 100) r(i)",
        [accounts],
    )
    con.execute("UPDATE feed SET timezone = 'Asia/Tokyo' WHERE id = 1")
    con.execute("CHECKPOINT")
    con.close()


def timed(path: Path, where: EntryFilter, older: EntryKey | None = None) -> tuple[float, int]:
    runs, count = [], 0
    for _ in range(3):
        start = time.perf_counter()
        con = duckdb.connect(str(path), read_only=True)
        reader = DuckReader(con)
        totals = reader.entry_totals(where)
        reader.entry_page(where, older=older, newer=None, size=50)
        con.close()
        runs.append((time.perf_counter() - start) * 1000)
        count = sum(t.entries for t in totals)
    return statistics.median(runs), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--file", type=Path, help="build it here unless it exists; kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "drill.duckdb"
        if not path.exists():
            start = time.perf_counter()
            build(path, args.entries)
            print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s")
        con = duckdb.connect(str(path), read_only=True)
        middle = DuckReader(con).entry_page(
            EntryFilter(last=date(2021, 6, 30)), older=None, newer=None, size=1
        )
        con.close()
        cases = {
            "deposits of a month (credits)": EntryFilter(
                date(2021, 3, 1), date(2021, 3, 31), "USD", ("deposit",), side=Side.CREDITS
            ),
            "net flow of a year": EntryFilter(
                date(2020, 1, 1), date(2020, 12, 31), "USD", ("deposit", "withdrawal")
            ),
            "balances at a period end (every entry before)": EntryFilter(
                None, date(2025, 12, 31), "USD"
            ),
            "everything, no filter": EntryFilter(),
            "one customer": EntryFilter(customer_id="cus-17"),
            "a segment (distinct transfers counted)": EntryFilter(
                currency="USD", segment="student"
            ),
            "savings accounts, a quarter": EntryFilter(
                date(2022, 4, 1), date(2022, 6, 30), account_type="savings"
            ),
            "transfers of a year at 14:00 (by_hour)": EntryFilter(
                date(2020, 1, 1),
                date(2020, 12, 31),
                "USD",
                ("transfer",),
                side=Side.CREDITS,
                hour=14,
            ),
            "deposits of a year on Sundays (by_weekday)": EntryFilter(
                date(2020, 1, 1),
                date(2020, 12, 31),
                "USD",
                ("deposit",),
                side=Side.CREDITS,
                weekday=7,
            ),
            "balances of a group, open at the end": EntryFilter(
                None,
                date(2024, 12, 31),
                "USD",
                account_type="savings",
                segment="student",
                open_at_end=True,
            ),
            "one customer's balance, open at the end": EntryFilter(
                None, date(2024, 12, 31), "USD", customer_id="cus-17", open_at_end=True
            ),
            "a month's cohort, 12 months on": EntryFilter(
                currency="USD",
                signed_up_from=date(2019, 3, 1),
                signed_up_to=date(2019, 3, 31),
                life_months=12,
            ),
        }
        print(f"{'drill-down':50} {'ms':>8} {'entries':>12}")
        for name, where in cases.items():
            ms, count = timed(path, where)
            print(f"{name:50} {ms:8.1f} {count:12,}")
        older = middle.entries[0].key if middle.entries else None
        ms, count = timed(path, EntryFilter(currency="USD"), older)
        print(f"{'a page in the middle (keyset), all USD':50} {ms:8.1f} {count:12,}")


if __name__ == "__main__":
    main()
