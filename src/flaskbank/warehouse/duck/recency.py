"""How recently customers had an entry, at the end of many days at once, from the
activity spells (schema.py): a customer counts within a window of `w` days from the first
day of a spell until `w` days after its last (or the next spell, if sooner). Counting by
the days those counts change (+1, -1) and a running sum costs the same for five or five
thousand days, and grows with the customers, not with the transactions.

Customers whose every account is closed are few: the days their accounts changed make
spans in which all were closed or not, and those in one are counted one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ..base import Recency, RecencyAt

_EVERYONE = """
WITH members AS (  -- the customers, with the (local) day each signed up
    SELECT user_id, timezone($tz, timezone('UTC', signed_up_at))::DATE AS signed_up
    FROM customers WHERE role = 'customer'
),
spells AS (
    SELECT first_day, last_day, lag(first_day) OVER w IS NULL AS first,
           coalesce(lead(first_day) OVER w, DATE '9999-12-31') AS next_day
    FROM activity_spells WHERE customer_id IN (SELECT user_id FROM members)
    WINDOW w AS (PARTITION BY customer_id ORDER BY first_day)
),
marks AS (  -- where each count goes up (+1) or down (-1)
    SELECT 'customers' AS metric, signed_up AS day, count(*) AS delta FROM members GROUP BY ALL
    UNION ALL
    SELECT unnest(['ever', 'short', 'short', 'long', 'long']),
           unnest([first_day, first_day, least(last_day + $short::INTEGER, next_day),
                   first_day, least(last_day + $long::INTEGER, next_day)]),
           unnest([first::INTEGER, 1, -1, 1, -1])
    FROM spells
),
running AS (
    SELECT metric, day, sum(sum(delta)) OVER (PARTITION BY metric ORDER BY day) AS n
    FROM marks GROUP BY metric, day
),
asked AS (
    SELECT DISTINCT d, metric FROM unnest($days::DATE[]) t(d),
        (VALUES ('customers'), ('ever'), ('short'), ('long')) m(metric)
)
SELECT a.d, a.metric, coalesce(r.n, 0)::BIGINT FROM asked a
ASOF LEFT JOIN running r ON a.metric = r.metric AND a.d >= r.day
"""

#: CTEs (no WITH) ending in `states`: from each day a customer who ever closed an account
#: had their accounts change, until the next, whether all of them were closed ($tz: the
#: reporting time zone). Customer lists (customers.py) judge churn by the same spans.
CLOSED_STATES = """
statuses AS (  -- each account's status at the end of each day it changed
    SELECT account_id, timezone($tz, timezone('UTC', changed_at))::DATE AS day,
           arg_max(status, changed_at) AS status
    FROM status_changes GROUP BY ALL
),
candidates AS (  -- the accounts of customers who ever closed one
    SELECT a.user_id, a.account_id, timezone($tz, timezone('UTC', a.opened_at))::DATE AS opened
    FROM accounts a WHERE a.user_id IN (SELECT c.user_id FROM accounts c
        JOIN statuses s USING (account_id) WHERE s.status = 'closed')
),
marks AS (  -- +1 account (and +1 not closed) when opened; -1/+1 not closed on closing/reopening
    SELECT user_id, opened AS day, 1 AS accounts, 1 AS live FROM candidates
    UNION ALL
    SELECT c.user_id, s.day, 0, (s.status <> 'closed')::INTEGER
        - (coalesce(lag(s.status) OVER (PARTITION BY s.account_id ORDER BY s.day), 'open')
           <> 'closed')::INTEGER
    FROM statuses s JOIN candidates c USING (account_id)
),
states AS (  -- from each day a candidate's accounts changed until the next: all closed or not
    SELECT user_id, day AS since,
           lead(day, 1, DATE '9999-12-31') OVER (PARTITION BY user_id ORDER BY day) AS until,
           sum(sum(accounts)) OVER (PARTITION BY user_id ORDER BY day) > 0
           AND sum(sum(live)) OVER (PARTITION BY user_id ORDER BY day) = 0 AS all_closed
    FROM marks GROUP BY user_id, day
)
"""

_ALL_CLOSED = f"""
WITH {CLOSED_STATES},
gone AS (
    SELECT t.d, g.user_id FROM unnest($days::DATE[]) t(d)
    JOIN states g ON g.all_closed AND t.d >= g.since AND t.d < g.until
),
members AS (
    SELECT user_id, timezone($tz, timezone('UTC', signed_up_at))::DATE AS signed_up
    FROM customers WHERE role = 'customer' AND user_id IN (SELECT user_id FROM gone)
),
lasts AS (  -- within a spell the last entry is near enough: count it as the day itself
    SELECT g.d, g.user_id, max(if(s.last_day IS NULL, NULL, least(s.last_day, g.d)))
        AS last_day FROM gone g
    JOIN members m ON m.user_id = g.user_id AND m.signed_up <= g.d
    LEFT JOIN activity_spells s ON s.customer_id = g.user_id AND s.first_day <= g.d
    GROUP BY g.d, g.user_id
)
SELECT d, count(*), count(last_day), count(*) FILTER (d - last_day < $short),
       count(*) FILTER (d - last_day < $long)
FROM lasts GROUP BY d
"""


def recency(
    con: duckdb.DuckDBPyConnection, days: Sequence[date], short: int, long: int
) -> list[RecencyAt]:
    row = con.execute("SELECT timezone FROM feed WHERE id = 1").fetchone()
    params = {"tz": (row[0] if row else None) or "UTC", "days": list(days)}
    params |= {"short": short, "long": long}
    counted: dict[date, dict[str, int]] = {}
    for day, metric, n in con.execute(_EVERYONE, params).fetchall():
        counted.setdefault(day, {})[metric] = n
    closed: dict[date, Recency] = {}
    if con.execute("SELECT 1 FROM status_changes WHERE status = 'closed' LIMIT 1").fetchone():
        found = con.execute(_ALL_CLOSED, params).fetchall()
        closed = {day: Recency(*counts) for day, *counts in found}
    none = Recency(0, 0, 0, 0)
    return [
        RecencyAt(
            d,
            Recency(*(counted[d][m] for m in ("customers", "ever", "short", "long"))),
            closed.get(d, none),
        )
        for d in days
    ]
