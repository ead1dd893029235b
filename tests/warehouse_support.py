"""Helpers for the warehouse tests: a warehouse in the test's directory, and its tables read
back in a stable order (to compare two warehouses row for row)."""

from __future__ import annotations

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
