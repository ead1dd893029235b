"""Customer acquisition in DuckDB: the writer's part (customer_months, kept with each batch
of entries) and the reader's questions (signups per day with their activation, and each
signup day's customers followed to their anniversaries: warehouse/base.CohortDay).

The reports read customer_months, a few rows per customer, never the entries: their cost
grows with the customers, not with the transactions. Python receives one row per signup
day (and currency).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ..base import CohortDay, SignupDay
from ..customers import ACTIVATION_DAYS
from .zones import local_time


def _local_day(zone: str, column: str) -> str:
    """The day in `zone` of a UTC TIMESTAMP column."""
    return f"{local_time(zone, column)}::DATE"


def signups(con: duckdb.DuckDBPyConnection) -> str:
    """A CTE of the customers (role customer) and the day they signed up in the warehouse's
    calendar."""
    row = con.execute("SELECT coalesce(timezone, 'UTC') FROM feed WHERE id = 1").fetchone()
    local = _local_day("UTC" if row is None else str(row[0]), "signed_up_at")
    return f"signups AS (SELECT user_id, {local} AS day FROM customers WHERE role = 'customer')"


def load_months(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Add the batch's entries (the temp table `owned`, load.py: each leg with its owner) to
    their owners' customer_months.
    The month of the customer's life holding day d, for a signup day s: with m the calendar
    months from s's month to d's, it is m if d is on or before s + m months, else m + 1
    (s + m - 1 months falls in the month before d's, s + m + 1 months in the month after).
    Only the batch's owners' signup days are converted, not every customer's."""
    con.execute(
        f"""INSERT INTO customer_months
        SELECT user_id, currency,
               m + CASE WHEN day > (signup + to_months(m))::DATE THEN 1 ELSE 0 END AS month,
               sum(amount), count(*), min(day) FILTER (type = 'deposit')
        FROM (
            SELECT b.day, b.currency, b.amount, b.type, o.user_id, o.signup,
                   (year(b.day) - year(o.signup)) * 12 + month(b.day) - month(o.signup) AS m
            FROM owned b JOIN (
                SELECT user_id, {_local_day(timezone, "signed_up_at")} AS signup
                FROM customers WHERE user_id IN (SELECT customer_id FROM owned)
            ) o ON o.user_id = b.customer_id
        )
        GROUP BY ALL
        ON CONFLICT (customer_id, currency, month) DO UPDATE SET
            flow = flow + excluded.flow, entries = entries + excluded.entries,
            first_deposit = least(first_deposit, excluded.first_deposit)"""  # noqa: S608
    )


#: A CTE of each customer's first deposit in months 0 to 2 of their life, enough to tell a
#: first deposit within ACTIVATION_DAYS (the 30th day after the signup is in month 1 or 2).
FIRST_DEPOSITS = """firsts AS (
            SELECT customer_id AS user_id, min(first_deposit) AS first_deposit
            FROM customer_months WHERE month <= 2 AND first_deposit IS NOT NULL
            GROUP BY customer_id
        )"""


def signup_days(con: duckdb.DuckDBPyConnection, until: date) -> list[SignupDay]:
    # A first deposit within 30 days is any deposit by then (none comes before the signup);
    # the 30th day after the signup is in the customer's month 1 or 2.
    rows = con.execute(
        f"""WITH {signups(con)},
        {FIRST_DEPOSITS}
        SELECT s.day, count(*), count(*) FILTER (f.first_deposit <= s.day + {ACTIVATION_DAYS})
        FROM signups s LEFT JOIN firsts f USING (user_id) WHERE s.day <= $1
        GROUP BY s.day ORDER BY s.day""",  # noqa: S608 (the zone is quoted as SQL text)
        [until],
    ).fetchall()
    return [SignupDay(day, customers, activated) for day, customers, activated in rows]


def cohort_days(
    con: duckdb.DuckDBPyConnection, first: date, last: date, months: Sequence[int]
) -> list[CohortDay]:
    ks = [int(k) for k in months]
    if not ks or min(ks) < 1:
        raise ValueError("anniversaries are one month or more after the signup")
    # Month k of a customer's life is the window (a_{k-1}, a_k]; the balance at a_k is the
    # sum of the flows of months up to k.
    rows = con.execute(
        f"""WITH {signups(con)},
        members AS (SELECT user_id, day FROM signups WHERE day BETWEEN $1 AND $2),
        held AS (
            SELECT m.user_id, m.day, c.currency, c.month, c.flow FROM members m
            JOIN customer_months c ON c.customer_id = m.user_id WHERE c.month <= {max(ks)}
        ),
        active AS (
            SELECT user_id, {", ".join(f"bool_or(month = {k}) AS x{k}" for k in ks)}
            FROM held GROUP BY user_id
        ),
        counts AS (
            SELECT m.day, count(*) AS customers,
                   {", ".join(f"count(*) FILTER (a.x{k}) AS n{k}" for k in ks)}
            FROM members m LEFT JOIN active a USING (user_id) GROUP BY m.day
        ),
        balances AS (
            SELECT day, currency,
                   {", ".join(f"coalesce(sum(flow) FILTER (month <= {k}), 0) AS b{k}" for k in ks)}
            FROM held GROUP BY day, currency
        )
        SELECT c.*, b.* EXCLUDE (day) FROM counts c LEFT JOIN balances b USING (day)
        ORDER BY c.day, b.currency""",  # noqa: S608 (whole numbers and the quoted zone)
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
