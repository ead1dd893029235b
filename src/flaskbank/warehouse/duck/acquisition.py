"""The questions of customer acquisition, in DuckDB: signups per day with their activation,
and each signup day's customers followed to their anniversaries (warehouse/base.CohortDay).

DuckDB does the per-customer work (one join of the customers with their entries, grouped by
customer and then by signup day); Python receives one row per signup day (and currency).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ..base import CohortDay, SignupDay

#: Customers (role customer) and the day they signed up in the warehouse's calendar.
_SIGNUPS = """
signups AS (
    SELECT c.user_id, timezone(f.tz, timezone('UTC', c.signed_up_at))::DATE AS day
    FROM customers c, (SELECT coalesce(timezone, 'UTC') AS tz FROM feed WHERE id = 1) f
    WHERE c.role = 'customer'
)"""


def signup_days(con: duckdb.DuckDBPyConnection, until: date) -> list[SignupDay]:
    # A first deposit within 30 days is any deposit by then: none comes before the signup.
    rows = con.execute(
        f"""WITH {_SIGNUPS},
        activated AS (
            SELECT DISTINCT s.user_id FROM entries e JOIN signups s ON e.customer_id = s.user_id
            WHERE e.type = 'deposit' AND e.day <= s.day + 30 AND s.day <= $1
        )
        SELECT s.day, count(*), count(a.user_id) FROM signups s
        LEFT JOIN activated a USING (user_id) WHERE s.day <= $1
        GROUP BY s.day ORDER BY s.day""",  # noqa: S608 (no value is formatted in)
        [until],
    ).fetchall()
    return [SignupDay(day, customers, activated) for day, customers, activated in rows]


def cohort_days(
    con: duckdb.DuckDBPyConnection, first: date, last: date, months: Sequence[int]
) -> list[CohortDay]:
    ks = [int(k) for k in months]
    if not ks or min(ks) < 1:
        raise ValueError("anniversaries are one month or more after the signup")
    # The i-th window is (a_{k-1}, a_k]: from after the anniversary a month before to the k-th.
    anniversaries = sorted({*ks, *(k - 1 for k in ks)} - {0})
    at = ", ".join(f"(day + INTERVAL {k} MONTH)::DATE AS a{k}" for k in anniversaries)
    since = {k: f"m.a{k - 1}" if k > 1 else "m.day" for k in ks}
    flags = ", ".join(f"bool_or(e.day > {since[k]} AND e.day <= m.a{k}) AS x{k}" for k in ks)
    sums = ", ".join(f"coalesce(sum(e.amount) FILTER (e.day <= m.a{k}), 0) AS b{k}" for k in ks)
    rows = con.execute(
        f"""WITH {_SIGNUPS},
        members AS (SELECT user_id, day, {at} FROM signups WHERE day BETWEEN $1 AND $2),
        held AS (
            SELECT m.user_id, m.day, e.currency, {flags}, {sums}
            FROM members m JOIN entries e ON e.customer_id = m.user_id
            WHERE e.day <= m.a{max(ks)} GROUP BY ALL
        ),
        active AS (
            SELECT user_id, {", ".join(f"bool_or(x{k}) AS x{k}" for k in ks)}
            FROM held GROUP BY user_id
        ),
        counts AS (
            SELECT m.day, count(*) AS customers,
                   {", ".join(f"count(*) FILTER (a.x{k}) AS n{k}" for k in ks)}
            FROM members m LEFT JOIN active a USING (user_id) GROUP BY m.day
        ),
        balances AS (
            SELECT day, currency, {", ".join(f"sum(b{k}) AS b{k}" for k in ks)}
            FROM held GROUP BY day, currency
        )
        SELECT c.*, b.* EXCLUDE (day) FROM counts c LEFT JOIN balances b USING (day)
        ORDER BY c.day, b.currency""",  # noqa: S608 (only whole numbers are formatted in)
        [first, last],
    ).fetchall()
    width = len(ks)
    counted: dict[date, tuple[int, tuple[int, ...]]] = {}
    held: dict[date, dict[str, tuple[int, ...]]] = {}
    for row in rows:
        day, currency = row[0], row[2 + width]
        counted[day] = (row[1], tuple(row[2 : 2 + width]))
        balances = held.setdefault(day, {})
        if currency is not None:  # None: nobody of that day had an entry by then
            balances[currency] = tuple(int(b) for b in row[3 + width :])
    return [CohortDay(day, n, active, held[day]) for day, (n, active) in counted.items()]


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute(
        "SELECT timezone(coalesce(timezone, 'UTC'),"
        " timezone('UTC', nullif(last_event_at, '')::TIMESTAMP))::DATE FROM feed WHERE id = 1"
    ).fetchone()
    return None if row is None else row[0]


def currencies(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT DISTINCT currency FROM accounts ORDER BY currency").fetchall()
    return [currency for (currency,) in rows]
