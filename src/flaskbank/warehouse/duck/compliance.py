"""The compliance review's reads: customers' cash by day, and cash deposits just under the
report threshold. Both scan only the entries of the days asked (`entries` is appended in
posting order, so DuckDB's zone maps on `day` skip the rest) and return few rows: at 10
million entries a month's review reads about a month's entries, not all of them.

Cash is a deposit's credit or a withdrawal's debit on a customer's account; the thresholds
come per currency in its minor units, as the query's CASE."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from ...domain.compliance import CashDeposit
from ..base import CashDay

_CASH = (
    "e.customer_id IS NOT NULL AND e.day BETWEEN ? AND ?"
    " AND ((e.type = 'deposit' AND e.amount > 0) OR (e.type = 'withdrawal' AND e.amount < 0))"
)


def _by_currency(amounts: Mapping[str, int]) -> tuple[str, list[Any]]:
    """A CASE on e.currency giving each currency's amount (NULL for any other)."""
    if not amounts:
        return "NULL", []
    args: list[Any] = []
    for currency, amount in sorted(amounts.items()):
        args.extend((currency, amount))
    return "CASE e.currency" + " WHEN ? THEN ?" * len(amounts) + " END", args


def cash_days(
    con: duckdb.DuckDBPyConnection, first: date, last: date, over: Mapping[str, int]
) -> list[CashDay]:
    limit, args = _by_currency(over)
    rows = con.execute(
        "SELECT e.customer_id, e.day, e.currency, count(*), sum(abs(e.amount))"
        f" FROM entries e WHERE {_CASH}"
        f" GROUP BY e.customer_id, e.day, e.currency HAVING sum(abs(e.amount)) > {limit}"
        " ORDER BY e.day, sum(abs(e.amount)) DESC, e.customer_id, e.currency",
        [first, last, *args],
    ).fetchall()
    return [CashDay(c, d, cur, int(n), int(total)) for c, d, cur, n, total in rows]


def cash_deposits(
    con: duckdb.DuckDBPyConnection,
    first: date,
    last: date,
    low: Mapping[str, int],
    high: Mapping[str, int],
) -> list[CashDeposit]:
    floor, floor_args = _by_currency(low)
    ceiling, ceiling_args = _by_currency(high)
    rows = con.execute(
        "SELECT e.customer_id, e.currency, e.day, e.transaction_id, e.amount"
        f" FROM entries e WHERE {_CASH} AND e.type = 'deposit'"
        f" AND e.amount >= {floor} AND e.amount <= {ceiling}"
        " ORDER BY e.customer_id, e.day, e.transaction_id",
        [first, last, *floor_args, *ceiling_args],
    ).fetchall()
    return [CashDeposit(c, cur, d, t, int(a)) for c, cur, d, t, a in rows]
