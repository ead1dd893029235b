"""How recently customers had an entry, at the end of many days at once, from the
activity spells (schema.py): a customer counts within a window of `w` days from the first
day of a spell until `w` days after its last (or the next spell, if sooner). Counting by
the days those counts change (+1, -1) and a running sum costs the same for five or five
thousand days, and grows with the customers, not with the transactions.

Customers whose every account is closed are few: they are counted one by one, at each day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ..base import Recency, RecencyAt

#: The customers, with the day (local) each signed up.
_MEMBERS = """
members AS (
    SELECT user_id, min(timezone($tz, timezone('UTC', signed_up_at))::DATE) AS signed_up
    FROM customers WHERE role = 'customer' GROUP BY user_id
),
spells AS (
    SELECT s.customer_id, s.first_day, s.last_day,
           coalesce(lead(s.first_day) OVER (PARTITION BY s.customer_id
                                            ORDER BY s.first_day), DATE '9999-12-31')
               AS next_day
    FROM activity_spells s JOIN members m ON m.user_id = s.customer_id
)"""

_EVERYONE = f"""
WITH {_MEMBERS},
marks AS (
    SELECT 'customers' AS metric, signed_up AS day, 1 AS delta FROM members
    UNION ALL SELECT 'ever', min(first_day), 1 FROM spells GROUP BY customer_id
    UNION ALL SELECT 'short', first_day, 1 FROM spells
    UNION ALL SELECT 'short', least(last_day + $short::INTEGER, next_day), -1 FROM spells
    UNION ALL SELECT 'long', first_day, 1 FROM spells
    UNION ALL SELECT 'long', least(last_day + $long::INTEGER, next_day), -1 FROM spells
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

_ALL_CLOSED = f"""
WITH {_MEMBERS},
statuses AS (  -- each account's status at the end of each day it changed
    SELECT account_id, timezone($tz, timezone('UTC', changed_at))::DATE AS day,
           arg_max(status, changed_at) AS status
    FROM status_changes GROUP BY ALL
),
owned AS (  -- the accounts of customers who ever closed one, opened by each day asked
    SELECT t.d, a.user_id, a.account_id FROM unnest($days::DATE[]) t(d)
    JOIN accounts a ON timezone($tz, timezone('UTC', a.opened_at))::DATE <= t.d
    WHERE a.user_id IN (SELECT c.user_id FROM accounts c JOIN statuses s USING (account_id)
                        WHERE s.status = 'closed')
),
gone AS (
    SELECT o.d, o.user_id FROM owned o
    ASOF LEFT JOIN statuses s ON o.account_id = s.account_id AND o.d >= s.day
    GROUP BY o.d, o.user_id HAVING bool_and(coalesce(s.status, 'open') = 'closed')
),
lasts AS (  -- within a spell the last entry is near enough: count it as the day itself
    SELECT g.d, g.user_id, max(if(s.last_day IS NULL, NULL, least(s.last_day, g.d)))
        AS last_day FROM gone g
    JOIN members m ON m.user_id = g.user_id AND m.signed_up <= g.d
    LEFT JOIN spells s ON s.customer_id = g.user_id AND s.first_day <= g.d
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
    counted: dict[date, dict[str, int]] = {}
    for day, metric, n in con.execute(
        _EVERYONE, {**params, "short": short, "long": long}
    ).fetchall():
        counted.setdefault(day, {})[metric] = n
    closed = {
        day: Recency(*counts)
        for day, *counts in con.execute(
            _ALL_CLOSED, {**params, "short": short, "long": long}
        ).fetchall()
    }
    none = Recency(0, 0, 0, 0)
    return [
        RecencyAt(
            d,
            Recency(
                counted[d]["customers"], counted[d]["ever"], counted[d]["short"], counted[d]["long"]
            ),
            closed.get(d, none),
        )
        for d in days
    ]
