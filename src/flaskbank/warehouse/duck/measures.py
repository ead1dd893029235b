"""The report builder's one query (warehouse/base.Measure): a measure of the entries, or of
customers' sign-ups, per period, group and currency, aggregated in DuckDB so that only one
row per period and group leaves it. Sums of money read daily_groups (a summary the load
keeps); counts of distinct transactions and customers read the entries. The period and the
columns come from fixed tables below, never from the caller's text; the filters' values
are bound parameters."""

from __future__ import annotations

import duckdb

from ..base import Measure, Measured

PERIODS = ("day", "week", "month", "quarter", "year")
#: measure -> (aggregate, the entries it counts)
SUMS = {
    "deposits": ("sum(e.amount)", "e.type = 'deposit'"),
    "withdrawals": ("-sum(e.amount)", "e.type = 'withdrawal'"),
    "net_flow": ("sum(e.amount)", None),
}
#: measure -> what it counts once per period, group and currency
DISTINCT = {"transactions": "e.transaction_id", "active_customers": "e.customer_id"}
_SEGMENT = "coalesce(c.segment, 'unknown')"
_GROUPS = {None: "NULL", "account_type": "coalesce(a.type, 'unknown')", "segment": _SEGMENT}


def measure(con: duckdb.DuckDBPyConnection, asked: Measure) -> list[Measured]:
    if asked.period not in PERIODS or asked.group_by not in _GROUPS:
        raise ValueError(f"cannot measure by {asked.period} and {asked.group_by}")
    if asked.measure == "new_customers":
        return _sign_ups(con, asked)
    if asked.measure in SUMS or asked.measure == "transactions":
        return _sums(con, asked) if asked.measure in SUMS else _transactions(con, asked)
    aggregate, counted = SUMS.get(asked.measure, ("", None))
    where: list[str] = ["e.day <= ?"]
    args: list[object] = [asked.until]
    if asked.since is not None:
        where.append("e.day >= ?")
        args.append(asked.since)
    if counted:
        where.append(counted)
    for clause, value in (
        ("e.currency = ?", asked.currency),
        ("e.type = ?", asked.type),
        ("coalesce(a.type, 'unknown') = ?", asked.account_type),
        (f"{_SEGMENT} = ?", asked.segment),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    joins = ""
    if asked.group_by == "account_type" or asked.account_type is not None:
        joins += " LEFT JOIN accounts a ON a.account_id = e.account_id"
    if asked.group_by == "segment" or asked.segment is not None:
        joins += " LEFT JOIN customers c ON c.user_id = e.customer_id"
    keys = f"date_trunc('{asked.period}', e.day)::DATE, {_GROUPS[asked.group_by]}, e.currency"
    source = f"FROM entries e{joins} WHERE {' AND '.join(where)}"
    if asked.measure == "transactions" and not joins:
        # Every transaction has one customer entry, or (a transfer) two that sum to zero:
        # counting its debit only counts it once, without a DISTINCT over millions of ids.
        # A filter on the account or its owner could keep the credit alone: DISTINCT then.
        sql = f"SELECT {keys}, count(*) FILTER (e.type <> 'transfer' OR e.amount < 0) {source}"
        sql += " GROUP BY ALL"
    elif asked.measure in DISTINCT:
        # The distinct (period, group, currency, id) first, then a count of each: the ids
        # are what grows with the bank (docs/analytics.md gives what this costs).
        sql = (
            f"SELECT s, g, c, count(*) FROM (SELECT DISTINCT {keys},"
            f" {DISTINCT[asked.measure]} {source}) AS t(s, g, c, k) GROUP BY ALL"
        )
    else:
        sql = f"SELECT {keys}, {aggregate} {source} GROUP BY ALL"
    rows = con.execute(sql + " ORDER BY 1, 2, 3", args).fetchall()
    return [Measured(start, group, currency, int(value)) for start, group, currency, value in rows]


def _sums(con: duckdb.DuckDBPyConnection, asked: Measure) -> list[Measured]:
    """Sums of amounts from daily_groups (one row per day, currency, account type, segment
    and transaction type, kept by every batch), whose size does not grow with the entries."""
    aggregate, counted = SUMS[asked.measure]
    where: list[str] = ["day <= ?"]
    args: list[object] = [asked.until]
    if asked.since is not None:
        where.append("day >= ?")
        args.append(asked.since)
    if counted:
        where.append(counted.replace("e.", ""))
    for column, value in (
        ("currency", asked.currency),
        ("type", asked.type),
        ("account_type", asked.account_type),
        ("segment", asked.segment),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    group = asked.group_by or "NULL"
    rows = con.execute(
        f"SELECT date_trunc('{asked.period}', day)::DATE, {group}, currency,"  # noqa: S608
        f" {aggregate.replace('e.', '')} FROM daily_groups WHERE {' AND '.join(where)}"
        " GROUP BY ALL ORDER BY 1, 2, 3",
        args,
    ).fetchall()
    return [Measured(start, group, currency, int(value)) for start, group, currency, value in rows]


def _cells(asked: Measure, prefix: str = "") -> tuple[list[str], list[object]]:
    """The day range and the filters over a summary's cells (`prefix`: the credited side
    of daily_pairs)."""
    where: list[str] = ["day <= ?"]
    args: list[object] = [asked.until]
    if asked.since is not None:
        where.append("day >= ?")
        args.append(asked.since)
    for column, value in (
        ("currency", asked.currency),
        (f"{prefix}account_type", asked.account_type),
        (f"{prefix}segment", asked.segment),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    return where, args


def _transactions(con: duckdb.DuckDBPyConnection, asked: Measure) -> list[Measured]:
    """A transaction counts once in each group one of its entries is counted in: the
    entries counted, less the transfers whose two sides are both counted in one group."""
    legs, legs_args = _cells(asked)
    if asked.type is not None:
        legs.append("type = ?")
        legs_args.append(asked.type)
    pairs, pairs_args = _cells(asked)
    credited, credited_args = _cells(asked, "to_")
    same = {None: "true", "account_type": "account_type = to_account_type"}.get(
        asked.group_by, "segment = to_segment"
    )
    pairs += [*credited[1 + (asked.since is not None) :], same]
    pairs_args += credited_args[1 + (asked.since is not None) :]
    if asked.type not in (None, "transfer"):
        pairs.append("false")
    group = asked.group_by or "NULL"
    period = f"date_trunc('{asked.period}', day)::DATE"
    rows = con.execute(
        f"WITH legs AS (SELECT {period} AS s, {group} AS g, currency AS c, sum(entries) AS n"  # noqa: S608
        f" FROM daily_groups WHERE {' AND '.join(legs)} GROUP BY ALL),"
        f" pairs AS (SELECT {period} AS s, {group} AS g, currency AS c, sum(transfers) AS n"
        f" FROM daily_pairs WHERE {' AND '.join(pairs)} GROUP BY ALL)"
        " SELECT l.s, l.g, l.c, l.n - coalesce(p.n, 0) FROM legs l LEFT JOIN pairs p"
        " ON p.s = l.s AND p.g IS NOT DISTINCT FROM l.g AND p.c = l.c ORDER BY 1, 2, 3",
        [*legs_args, *pairs_args],
    ).fetchall()
    return [Measured(start, group, currency, int(value)) for start, group, currency, value in rows]


def _sign_ups(con: duckdb.DuckDBPyConnection, asked: Measure) -> list[Measured]:
    """Customers (not staff) by the day they signed up in the warehouse's time zone."""
    row = con.execute("SELECT coalesce(timezone, 'UTC') FROM feed WHERE id = 1").fetchone()
    where: list[str] = ["day <= ?"]
    args: list[object] = [row[0] if row else "UTC", asked.until]
    if asked.since is not None:
        where.append("day >= ?")
        args.append(asked.since)
    if asked.segment is not None:
        where.append("segment = ?")
        args.append(asked.segment)
    group = "segment" if asked.group_by == "segment" else "NULL"
    rows = con.execute(
        f"SELECT date_trunc('{asked.period}', day)::DATE, {group}, count(*) FROM ("  # noqa: S608
        " SELECT timezone(?, timezone('UTC', signed_up_at))::DATE AS day,"
        " coalesce(segment, 'unknown') AS segment FROM customers WHERE role = 'customer')"
        f" WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY 1, 2",
        args,
    ).fetchall()
    return [Measured(start, group, None, int(count)) for start, group, count in rows]
