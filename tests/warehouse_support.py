"""Helpers for the warehouse tests: a warehouse in the test's directory, and its tables read
back in a stable order (to compare two warehouses row for row)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flaskbank.services.analytics import reports
from flaskbank.services.analytics.catalog import Query, Report
from flaskbank.warehouse.duck import DuckWarehouse

TABLES = {
    "entries": "transaction_id, account_id",
    "daily_totals": "day, currency",
    "customer_months": "customer_id, currency, month",
    "hourly_volume": "day, hour, type, currency",
    "activity_spells": "customer_id, first_day",
    "account_months": "account_id, month",
    "daily_groups": "day, currency, account_type, segment, type",
    "daily_pairs": "day, currency, account_type, segment, to_account_type, to_segment",
    "customers": "user_id",
    "accounts": "account_id",
    "status_changes": "account_id, changed_at",
    "hold_events": "hold_id, what",
    "closing_days": "day, type, segment, currency",
    "feed": "id",
}


def warehouse_in(path: Path, name: str = "warehouse.duckdb") -> DuckWarehouse:
    return DuckWarehouse(path / name)


def contents(warehouse: DuckWarehouse) -> dict[str, list[tuple[Any, ...]]]:
    with warehouse.reading() as reader:
        return {
            table: reader.con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # noqa: S608
            for table, order in TABLES.items()
        }


def parse(name: str, first: str, last: str, period: str = "month", **filters: str) -> Query:
    return reports.parse_query(
        reports.spec(name), {"from": first, "to": last, "period": period, **filters}
    )


def run_report(warehouse: Any, user: Any, name: str, asked: Query) -> Report:
    """A built-in report as the service answers it (role checked, warehouse read)."""
    return reports.run(warehouse, user, reports.spec(name), asked)


def period_end(day: date, period: str) -> date:
    """Independently of services/analytics/periods.py: the last day of the period (day, ISO
    week, month, quarter, year) that holds `day`."""
    if period == "day":
        return day
    if period == "week":
        return day + timedelta(days=6 - day.weekday())
    if period == "month":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == "quarter":
        last_month = (day.month - 1) // 3 * 3 + 3
        return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return date(day.year, 12, 31)


def periods(first: date, last: date, period: str) -> list[tuple[date, date]]:
    """The whole periods that cover first..last, each as (first day, last day)."""
    start = first
    while period_end(start - timedelta(days=1), period) == period_end(start, period):
        start -= timedelta(days=1)
    found = []
    while start <= last:
        end = period_end(start, period)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found
