"""The customer drill-down (issue 12) at 10 million entries: the count over a whole filter
and one page of customers, for each kind of figure that counts customers, on bench_drill's
warehouse file (25,000 customers signing up over ten years, 1% of accounts closed, days in
Tokyo) with the summaries the writer keeps from the entries (customer_months, spells).

    .venv/bin/python bench/bench_customer_drill.py                     # 10,000,000 entries
    .venv/bin/python bench/bench_customer_drill.py --entries 100000    # a smoke run
    .venv/bin/python bench/bench_customer_drill.py --file /tmp/customers.duckdb  # kept

Each figure is the median of 3 runs of: open the file read-only (as a report does), count,
read one page (50 customers, with their last entry days), close.

Measured (2026-11-26, 2 shared cores under a load average of 18, 10,000,000 entries, 25,001
customers): new customers of a month 248 ms, customers by a period's end 200 ms, activated
of a month 762 ms, a month's cohort active in month 12 670 ms, customers at a period's end
with their categories 572 ms, churned at a period's end 601 ms, the builder's active
customers of a month 244 ms. docs/analytics.md.

Again on a quiet machine (2026-11-26 17:00, load average 0.6 to 1.9, 10,000,000 entries built
in 25.5 s): 44.2, 50.0, 111.4, 99.6, 129.7, 98.0 and 56.5 ms in the order above.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
from bench_drill import build

from flaskbank.services.analytics.customer_activity import WINDOWS
from flaskbank.warehouse.customers import CustomerFilter
from flaskbank.warehouse.duck.acquisition import load_months
from flaskbank.warehouse.duck.load import _merge_spells
from flaskbank.warehouse.duck.warehouse import DuckReader
from flaskbank.warehouse.entries import EntryFilter


def summarise(path: Path) -> None:
    """customer_months and activity_spells from the entries, as the writer keeps them."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TEMP TABLE owned AS SELECT * FROM entries")
    load_months(con, "Asia/Tokyo")
    _merge_spells(con)
    con.execute("CHECKPOINT")
    con.close()


def timed(path: Path, where: CustomerFilter) -> tuple[float, int]:
    runs, count = [], 0
    for _ in range(3):
        start = time.perf_counter()
        con = duckdb.connect(str(path), read_only=True)
        reader = DuckReader(con)
        count = reader.customer_count(where)
        reader.customer_page(where, older=None, newer=None, size=50)
        con.close()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--file", type=Path, help="build it here unless it exists; kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "customers.duckdb"
        if not path.exists():
            start = time.perf_counter()
            build(path, args.entries)
            summarise(path)
            print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s")
        end = date(2024, 12, 31)
        cases = {
            "new customers of a month": CustomerFilter(date(2019, 3, 1), date(2019, 3, 31)),
            "customers by a period's end": CustomerFilter(None, end),
            "activated of a month": CustomerFilter(
                date(2019, 3, 1), date(2019, 3, 31), activated=True
            ),
            "a month's cohort active in month 12": CustomerFilter(
                date(2019, 3, 1), date(2019, 3, 31), active_in_month=12
            ),
            "customers at a period's end, by category": CustomerFilter(at=end, windows=WINDOWS),
            "churned at a period's end": CustomerFilter(
                at=end, category="churned", windows=WINDOWS
            ),
            "active customers of a month (builder)": CustomerFilter(
                entries=EntryFilter(date(2021, 3, 1), date(2021, 3, 31), "USD")
            ),
        }
        print(f"{'customer drill-down':50} {'ms':>8} {'customers':>12}")
        for name, where in cases.items():
            ms, count = timed(path, where)
            print(f"{name:50} {ms:8.1f} {count:12,}")


if __name__ == "__main__":
    main()
