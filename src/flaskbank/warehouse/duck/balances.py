"""Accounts' closing balances at given days' ends, and customers' flows, in SQL over the
entries (the balances, top customers reports; docs/analytics.md).

An account's closing balance at the end of a day is the sum of its entries on or before that
day. For several days at once, each movement is counted once: put in the bucket of the first
asked day on or after it (an equal-day join to a small map of days), the buckets summed per
account, and a running sum over them gives the closing balance at each asked day; never a
window over every account-day (the account_days view). A month whose days all fall in one
bucket is read from account_months (one row per account and month), only the days of the
other months from the entries.
Days are the warehouse's local days (feed.timezone), also for when an account was opened or
closed. Money stays integer (BIGINT rows, HUGEINT sums).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

import duckdb

from ..base import BalanceGroup, BalanceMagnitude, CustomerBalance, CustomerFlow

#: The movements of the days of months not read whole from account_months. Left out when
#: every asked day is a month's last: then every month is whole, and a scan of the entries
#: that finds nothing still costs a tenth of a second at 10 million.
_PART_DAYS = """
        UNION ALL
        SELECT e.account_id, d.end_day, e.amount
        FROM entries e JOIN part_days d ON d.day = e.day"""

# $1: the days (DATE[]), $2: account type or NULL, $3: segment or NULL.
_HEAD = """
WITH ends AS (SELECT unnest($1::DATE[]) AS end_day),
zone AS (SELECT coalesce(timezone, 'UTC') AS tz FROM feed WHERE id = 1),
acc AS (
    SELECT a.account_id, a.user_id, a.type, a.currency, coalesce(c.segment, 'unknown') AS segment,
           timezone(zone.tz, timezone('UTC', a.opened_at))::DATE AS opened,
           row_number() OVER () AS n  -- the running sum below partitions faster by a number
    FROM accounts a CROSS JOIN zone LEFT JOIN customers c ON c.user_id = a.user_id
    WHERE ($2::VARCHAR IS NULL OR a.type = $2)
      AND ($3::VARCHAR IS NULL OR coalesce(c.segment, 'unknown') = $3)
),
-- When an account was closed: from the day of a change to `closed` (local) until the day
-- of its next change (if any), the last change of each day counting.
statuses AS (
    SELECT account_id, day, arg_max(status, changed_at) AS status FROM (
        SELECT s.account_id, s.status, s.changed_at,
               timezone(zone.tz, timezone('UTC', s.changed_at))::DATE AS day
        FROM status_changes s CROSS JOIN zone
    ) GROUP BY account_id, day
),
closed AS (
    SELECT * FROM (
        SELECT account_id, status, day AS since,
               coalesce(lead(day) OVER (PARTITION BY account_id ORDER BY day),
                        DATE '9999-12-31') AS until
        FROM statuses
    ) WHERE status = 'closed'
),
"""

_AT_ENDS = (
    _HEAD
    + """-- Each day from the first month with movements to the last asked day, and the first asked
-- day on or after it: the bucket its movements go to. A month whose days all go to one
-- bucket is read from account_months; the days of other months, from the entries.
day_map AS (
    SELECT g.d::DATE AS day, x.end_day
    FROM generate_series(
        date_trunc('month', (SELECT min(day) FROM daily_totals))::TIMESTAMP,
        (SELECT max(end_day) FROM ends)::TIMESTAMP,
        INTERVAL 1 DAY
    ) AS g(d)
    ASOF JOIN ends x ON g.d::DATE <= x.end_day
),
month_map AS (
    SELECT date_trunc('month', day)::DATE AS month, min(end_day) AS end_day
    FROM day_map GROUP BY date_trunc('month', day)::DATE
    HAVING count(DISTINCT end_day) = 1 AND count(*) = day(last_day(min(day)))
),
part_days AS (
    SELECT day, end_day FROM day_map
    WHERE date_trunc('month', day)::DATE NOT IN (SELECT month FROM month_map)
),
buckets AS (
    SELECT account_id, end_day, sum(flow) AS flow FROM (
        SELECT m.account_id, mm.end_day, m.flow
        FROM account_months m JOIN month_map mm ON mm.month = m.month
        {part_days}
    ) GROUP BY account_id, end_day
),
-- Every account at every asked day since it was opened (its entries are all in those
-- buckets), with the running sum of its buckets: its closing balance then.
running AS (
    SELECT x.end_day, a.account_id, a.user_id, a.type, a.segment, a.currency,
           sum(coalesce(b.flow, 0)) OVER (
               PARTITION BY a.n ORDER BY x.end_day ROWS UNBOUNDED PRECEDING) AS closing
    FROM ends x JOIN acc a ON a.opened <= x.end_day
    LEFT JOIN buckets b ON b.account_id = a.account_id AND b.end_day = x.end_day
),
at_end AS (
    SELECT r.end_day, r.account_id, r.user_id, r.type, r.segment, r.currency,
           r.closing::HUGEINT AS closing
    FROM running r
    WHERE NOT EXISTS (
        SELECT 1 FROM closed c WHERE c.account_id = r.account_id
        AND c.since <= r.end_day AND r.end_day < c.until
    )
)
"""
)

# quantile_disc(x, 0.5) is the lower middle value of an even count (the element at
# floor((n - 1) / 2) of the sorted values), so -quantile_disc(-x, 0.5) is the upper one.
GROUPS = """
SELECT end_day, type, segment, currency, count(*), sum(closing), min(closing), max(closing),
       quantile_disc(closing, 0.5), -quantile_disc(-closing, 0.5)
FROM at_end GROUP BY end_day, type, segment, currency
ORDER BY end_day, type, segment, currency
"""

_MAGNITUDES = """
SELECT type, currency, digits, count(*), sum(closing) FROM (
    SELECT type, currency, closing,
           CASE WHEN closing < 0 THEN -1 WHEN closing = 0 THEN 0
                ELSE length(closing::VARCHAR) END AS digits
    FROM at_end
) GROUP BY type, currency, digits ORDER BY type, currency, digits
"""

_TOP_BALANCES = """
SELECT user_id, any_value(segment), currency, count(*) AS n, sum(closing) AS balance
FROM at_end GROUP BY user_id, currency
QUALIFY row_number() OVER (PARTITION BY currency ORDER BY balance DESC, user_id) <= $4
ORDER BY currency, balance DESC, user_id
"""

# Whole months of first..last from account_months, the days of its partial months from the
# entries; the customer is the account's owner.
_FLOW_PART_DAYS = """
    UNION ALL
    SELECT e.account_id, e.currency, greatest(e.amount, 0), greatest(-e.amount, 0)
    FROM entries e JOIN part_days p ON p.day = e.day"""
_TOP_FLOWS = """
WITH days AS (
    SELECT g.d::DATE AS day FROM generate_series($1::TIMESTAMP, $2::TIMESTAMP, INTERVAL 1 DAY)
        AS g(d)
),
whole AS (
    SELECT date_trunc('month', day)::DATE AS month FROM days
    GROUP BY date_trunc('month', day)::DATE HAVING count(*) = day(last_day(min(day)))
),
part_days AS (
    SELECT day FROM days WHERE date_trunc('month', day)::DATE NOT IN (SELECT month FROM whole)
),
moved AS (
    SELECT account_id, currency, credits::BIGINT AS credits, debits::BIGINT AS debits
    FROM account_months
    WHERE month IN (SELECT month FROM whole)
    {part_days}
)
SELECT customer_id, segment, currency, money_in, money_out FROM (
    SELECT a.user_id AS customer_id, coalesce(any_value(c.segment), 'unknown') AS segment,
           m.currency, sum(m.credits)::HUGEINT AS money_in, sum(m.debits)::HUGEINT AS money_out
    FROM moved m JOIN accounts a ON a.account_id = m.account_id
    LEFT JOIN customers c ON c.user_id = a.user_id
    GROUP BY a.user_id, m.currency
)
QUALIFY row_number() OVER (
    PARTITION BY currency ORDER BY money_in + money_out DESC, customer_id) <= $3
ORDER BY currency, money_in + money_out DESC, customer_id
"""


def _month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


#: At most this many asked days are read the wide way (below); more (day periods over years)
#: take the running sum.
WIDE_AT_MOST = 120


def _wide(days: Sequence[date]) -> str:
    """at_end for days that are all months' last: each account's closing at each day in one
    pass over account_months (a sum of its months up to the day's, per day, as columns of one
    row per account), then a row per account and day it existed: opened by then and not
    closed at the day's end. Several times cheaper than a running sum over every account
    and day (which had to sort them) at 10 million transactions."""
    ends = [f"DATE '{day.isoformat()}'" for day in days]
    # One account's flow in one month fits a BIGINT by far, and DuckDB sums BIGINTs into a
    # HUGEINT several times faster than it sums HUGEINTs.
    sums = ", ".join(f"sum(flow::BIGINT) FILTER (month <= {e}) AS f{i}" for i, e in enumerate(ends))
    shut = ", ".join(f"bool_or(since <= {e} AND {e} < until) AS s{i}" for i, e in enumerate(ends))
    each = " UNION ALL ".join(
        f"SELECT {e} AS end_day, account_id, user_id, type, segment, currency,"
        f" coalesce(f{i}, 0)::HUGEINT AS closing FROM wide"
        f" WHERE opened <= {e} AND NOT coalesce(s{i}, false)"
        for i, e in enumerate(ends)
    )
    return f"""{_HEAD}
flows AS (
    SELECT account_id, {sums} FROM account_months
    WHERE month <= (SELECT max(d) FROM unnest($1::DATE[]) AS t(d)) GROUP BY account_id
),
shut AS (SELECT account_id, {shut} FROM closed GROUP BY account_id),
wide AS MATERIALIZED (
    SELECT * FROM acc LEFT JOIN flows USING (account_id) LEFT JOIN shut USING (account_id)
),
at_end AS ({each})
"""


def at_ends(query: str, days: Sequence[date]) -> str:
    """`query` on at_end: the wide way when every day is a month's last (and they are not
    too many), else the running sum, whole months from account_months and the days of the
    others from the entries."""
    if not all(map(_month_end, days)):
        return _AT_ENDS.replace("{part_days}", _PART_DAYS) + query
    if len(days) <= WIDE_AT_MOST:
        return _wide(days) + query
    return _AT_ENDS.replace("{part_days}", "") + query


_KEPT = """
SELECT day, type, segment, currency, accounts, total, minimum, maximum, low_middle, high_middle
FROM closing_days
WHERE day IN (SELECT unnest($1::DATE[])) AND ($2::VARCHAR IS NULL OR type = $2)
  AND ($3::VARCHAR IS NULL OR segment = $3)
ORDER BY day, type, segment, currency
"""


def kept_through(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last day closing_days holds (closings.py); None before any."""
    row = con.execute("SELECT closed_through FROM feed WHERE id = 1").fetchone()
    return row[0] if row is not None else None


def balance_groups(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[date],
    account_type: str | None,
    segment: str | None,
    *,
    kept: bool = True,
) -> list[BalanceGroup]:
    """The days that are over from closing_days (closings.py), the others (today, as a
    rule) computed; all computed when not `kept`."""
    through = kept_through(con) if kept else None
    old = [d for d in days if through is not None and d <= through]
    new = [d for d in days if through is None or d > through]
    rows = con.execute(_KEPT, [old, account_type, segment]).fetchall() if old else []
    if new:
        rows += con.execute(at_ends(GROUPS, new), [new, account_type, segment]).fetchall()
    return [BalanceGroup(*row) for row in rows]  # the old days all come before the new


def balance_magnitudes(
    con: duckdb.DuckDBPyConnection, day: date, account_type: str | None, segment: str | None
) -> list[BalanceMagnitude]:
    rows = con.execute(at_ends(_MAGNITUDES, [day]), [[day], account_type, segment]).fetchall()
    return [BalanceMagnitude(*row) for row in rows]


def top_balances(con: duckdb.DuckDBPyConnection, day: date, limit: int) -> list[CustomerBalance]:
    rows = con.execute(at_ends(_TOP_BALANCES, [day]), [[day], None, None, limit]).fetchall()
    return [CustomerBalance(*row) for row in rows]


def top_flows(
    con: duckdb.DuckDBPyConnection, first: date, last: date, limit: int
) -> list[CustomerFlow]:
    whole = first.day == 1 and _month_end(last)
    query = _TOP_FLOWS.replace("{part_days}", "" if whole else _FLOW_PART_DAYS)
    rows = con.execute(query, [first, last, limit]).fetchall()
    return [CustomerFlow(*row) for row in rows]
