"""The drill-down's reads: a filter's totals (one aggregate scan of `entries`) and one page of
its entries (a top-N scan from a keyset cursor, never OFFSET), in SQL with parameters only.

Dimension filters (account type, segment) are semi-joins on the small dimension tables; the
page's 50 rows are joined to them only after they are picked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import duckdb

from ..entries import Entry, EntryFilter, EntryKey, EntryPage, EntryTotals, Side

_ORDER = ("posted_at", "transaction_id", "account_id")


def zone(con: duckdb.DuckDBPyConnection) -> str:
    """The reporting time zone the warehouse counts its days in."""
    row = con.execute("SELECT coalesce(timezone, 'UTC') FROM feed WHERE id = 1").fetchone()
    return "UTC" if row is None else str(row[0])


def _local(tz: str, column: str) -> str:
    """A UTC TIMESTAMP column in the reporting time zone (ICU's conversion, about a
    microsecond a row, is skipped in UTC)."""
    if tz == "UTC":
        return column
    quoted = "'" + tz.replace("'", "''") + "'"
    return f"timezone({quoted}, timezone('UTC', {column}))"


def where(f: EntryFilter, tz: str = "UTC") -> tuple[str, list[Any]]:
    """The filter as a WHERE clause on `entries e`, and its parameters; `tz` is the
    reporting time zone (for the hour, signup days and closings)."""
    sql: list[str] = ["TRUE"]
    args: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        sql.append(clause)
        args.extend(values)

    if f.first is not None:
        add("e.day >= ?", f.first)
    if f.last is not None:
        add("e.day <= ?", f.last)
    if f.currency:
        add("e.currency = ?", f.currency)
    if f.types:
        add("e.type IN (" + ", ".join("?" * len(f.types)) + ")", *f.types)
    if f.account_type:
        add("e.account_id IN (SELECT account_id FROM accounts WHERE type = ?)", f.account_type)
    if f.segment == "unknown":  # as the reports group them: null, or an unknown owner
        add("e.customer_id NOT IN (SELECT user_id FROM customers WHERE segment IS NOT NULL)")
    elif f.segment:
        add("e.customer_id IN (SELECT user_id FROM customers WHERE segment = ?)", f.segment)
    if f.customer_id:
        add("e.customer_id = ?", f.customer_id)
    if f.account_id:
        add("e.account_id = ?", f.account_id)
    if f.side is Side.CREDITS:
        add("e.amount > 0")
    elif f.side is Side.DEBITS:
        add("e.amount < 0")
    if f.weekday is not None:
        add("isodow(e.day) = ?", f.weekday)
    if f.hour is not None:
        add(f"hour({_local(tz, 'e.posted_at')}) = ?", f.hour)
    if f.open_at_end and f.last is not None:
        add(_CLOSED.format(day=_local(tz, "s.changed_at")), f.last)
    signup = f"{_local(tz, 'c.signed_up_at')}::DATE"
    members = (
        f"SELECT c.user_id, {signup} AS signup FROM customers c WHERE c.role = 'customer'"
        f" AND {signup} BETWEEN ? AND ?"
    )
    span = (f.signed_up_from or date.min, f.signed_up_to or date.max)
    if f.life_months is not None:
        # Each member's days from the signup to the k-month anniversary, as (customer, day)
        # pairs: a hash semi-join, several times faster at 10 million entries than a
        # correlated look-up of each entry's anniversary. No entry precedes its owner's
        # signup (an account is opened by a registered customer), so these are the entries
        # on or before the anniversary; none follows the last day with movements, where the
        # days stop (so a large k costs no more than the bank's age). DuckDB's month
        # arithmetic keeps the day or, when the month lacks it, takes its last (as
        # customer_months counts months of life).
        add(
            "(e.customer_id, e.day) IN (SELECT user_id, unnest(generate_series(signup,"
            " least((signup + to_months(?))::DATE, (SELECT max(day) FROM daily_totals)),"
            f" INTERVAL 1 DAY))::DATE FROM ({members}))",
            f.life_months,
            *span,
        )
    elif f.signed_up_from is not None or f.signed_up_to is not None:
        add(f"e.customer_id IN (SELECT user_id FROM ({members}))", *span)
    return " AND ".join(sql), args


# Accounts that exist at the end of a day (the accounts known, less those whose last status
# change on or before it is `closed`): an anti-join on the small dimension tables.
_CLOSED = (
    "e.account_id IN (SELECT a.account_id FROM accounts a ANTI JOIN (SELECT s.account_id"
    " FROM status_changes s WHERE {day}::DATE <= ? GROUP BY s.account_id"
    " HAVING arg_max(s.status, s.changed_at) = 'closed') x USING (account_id))"
)


def _distinct_transfers(f: EntryFilter) -> bool:
    """Whether counting transactions needs count(DISTINCT ...), which costs seconds at 10
    million entries. It does not when the ledger's shape answers: a deposit or a withdrawal
    has one customer leg, a transfer two (a credit and a debit on two customer accounts, the
    same moment, type and currency). So with one side, or one account, every entry is its own
    transaction; with no filter on a leg's account or customer, a transfer's legs are both in
    or both out, and its entries count twice."""
    return (
        f.side is Side.ALL
        and not f.account_id
        and bool(
            f.customer_id
            or f.account_type
            or f.segment
            or f.open_at_end
            or f.signed_up_from
            or f.signed_up_to
            or f.life_months is not None
        )
    )


def totals(con: duckdb.DuckDBPyConnection, f: EntryFilter) -> list[EntryTotals]:
    clause, args = where(f, zone(con))
    rows = con.execute(
        "SELECT e.currency, count(*), count(*) FILTER (e.type = 'transfer'),"
        " coalesce(sum(e.amount), 0), coalesce(sum(e.amount) FILTER (e.amount > 0), 0),"
        " coalesce(-sum(e.amount) FILTER (e.amount < 0), 0)"
        f" FROM entries e WHERE {clause} GROUP BY e.currency ORDER BY e.currency",
        args,
    ).fetchall()
    distinct: dict[str, int] = {}
    if _distinct_transfers(f):
        # A query of its own: DuckDB counts distinct values several times slower as one of
        # several filtered aggregates than alone (7.6 s against 0.7 s at 10 million).
        distinct = dict(
            con.execute(
                "SELECT e.currency, count(DISTINCT e.transaction_id) FROM entries e"
                f" WHERE {clause} AND e.type = 'transfer' GROUP BY e.currency",
                args,
            ).fetchall()
        )
    found = []
    for currency, count, transfers, amount, credits, debits in rows:
        if _distinct_transfers(f):
            transactions = count - transfers + distinct.get(currency, 0)
        elif f.side is not Side.ALL or f.account_id:
            transactions = count
        else:
            transactions = count - transfers // 2
        found.append(EntryTotals(currency, count, transactions, amount, credits, debits))
    return found


def page(
    con: duckdb.DuckDBPyConnection,
    f: EntryFilter,
    *,
    older: EntryKey | None,
    newer: EntryKey | None,
    size: int,
) -> EntryPage:
    clause, args = where(f, zone(con))
    backwards = newer is not None  # walking towards newer entries: read ascending, flip
    cursor = newer if newer is not None else older
    op = ">" if backwards else "<"
    if cursor is not None:
        # The plain posted_at bound lets DuckDB skip row groups by their min/max.
        clause += f" AND e.posted_at {op}= ? AND (e.posted_at, e.transaction_id, e.account_id)"
        clause += f" {op} (?, ?, ?)"
        args += [cursor.posted_at, cursor.posted_at, cursor.transaction_id, cursor.account_id]
    direction = "ASC" if backwards else "DESC"
    order = ", ".join(f"e.{c} {direction}" for c in _ORDER)
    pick = (
        "SELECT e.posted_at, e.day, e.transaction_id, e.type, e.account_id, a.type,"
        " e.customer_id, c.segment, e.amount, e.currency FROM"
        " (SELECT * FROM entries e WHERE {where} ORDER BY {order} LIMIT ?) e"
        " LEFT JOIN accounts a ON a.account_id = e.account_id"
        " LEFT JOIN customers c ON c.user_id = e.customer_id"
        " ORDER BY {newest}"
    )
    newest = ", ".join(f"e.{c} DESC" for c in _ORDER)
    # Near the page's edge first: a page of the newest entries of a common filter lies in
    # the last days, and the row groups before them need not be read. Widened until the
    # page is full, or to every entry; the rows found are the same either way.
    rows: list[Any] = []
    for bound in _windows(con, cursor, backwards):
        near, extra = clause, []
        if bound is not None:
            near += " AND e.posted_at <= ?" if backwards else " AND e.posted_at >= ?"
            extra = [bound]
        sql = pick.format(where=near, order=order, newest=newest)
        rows = con.execute(sql, [*args, *extra, size + 1]).fetchall()
        if len(rows) > size:
            break
    entries = [Entry(*row) for row in rows]
    more = len(entries) > size
    if backwards:
        entries = entries[-size:] if more else entries
        return EntryPage(entries, newer=more, older=True)
    return EntryPage(entries[:size], newer=cursor is not None, older=more)


def _windows(
    con: duckdb.DuckDBPyConnection, cursor: EntryKey | None, backwards: bool
) -> Iterator[datetime | None]:
    """The posted_at bounds to try, nearest first: 1/64 and 1/8 of the time the entries
    span, away from the page's edge (the cursor, or the newest entry), then None: all."""
    lo, hi = con.execute("SELECT min(posted_at), max(posted_at) FROM entries").fetchone() or (
        None,
        None,
    )
    if lo is not None and hi is not None and hi > lo:
        edge = cursor.posted_at if cursor is not None else hi
        for part in (64, 8):
            width = (hi - lo) / part
            yield edge + width if backwards else edge - width
    yield None
