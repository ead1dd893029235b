"""The customers behind a count (warehouse/customers.CustomerFilter): how many the whole
filter selects, and one page of them from a keyset cursor (the latest signups first, never
OFFSET). The rules are those of the reports that count them, on the same tables: activation
on customer_months' first deposits (acquisition.py), months of life on customer_months,
categories on activity_spells and the closed-account spans of recency.py. Only the page's
customers' last entry days are read from the entries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from ..base import SPELL_GAP_DAYS
from ..customers import ACTIVATION_DAYS, CustomerFilter, CustomerKey, CustomerPage, ListedCustomer
from . import entries
from .acquisition import FIRST_DEPOSITS
from .entries import _local, zone
from .recency import CLOSED_STATES

# A customer whose every account is closed is churned whatever their entries say; else the
# days since their last entry (within a spell, the day itself: spells lie at least the
# shortest window apart) say which. As customer_activity.classify counts them.
_CATEGORY = """CASE WHEN g.user_id IS NOT NULL THEN 'churned'
    WHEN l.last_day IS NULL THEN 'never_active'
    WHEN $at - l.last_day < $short THEN 'active'
    WHEN $at - l.last_day < $long THEN 'dormant'
    ELSE 'churned' END"""


def _listed(tz: str, f: CustomerFilter) -> tuple[str, dict[str, Any]]:
    """CTEs (after WITH) ending in `listed`: the filter's customers, each with their signup
    day, segment and category (NULL unless `at` and `windows` are given); and the named
    parameters they bind (only those used: DuckDB refuses any other)."""
    args: dict[str, Any] = {}
    ctes = [
        "members AS (SELECT c.user_id, c.segment,"
        f" {_local(tz, 'c.signed_up_at')}::DATE AS signed_up"
        " FROM customers c WHERE c.role = 'customer')"
    ]
    joins, where = "", ["TRUE"]
    for clause, name, value in (
        ("m.signed_up >= $signed_up_from", "signed_up_from", f.signed_up_from),
        ("m.signed_up <= $signed_up_to", "signed_up_to", f.signed_up_to),
        ("m.signed_up <= $at", "at", f.at),
        ("coalesce(m.segment, 'unknown') = $segment", "segment", f.segment),
        (
            "m.user_id IN (SELECT customer_id FROM customer_months WHERE month = $month)",
            "month",
            f.active_in_month,
        ),
    ):
        if value is not None:
            where.append(clause)
            args[name] = value
    if f.entries is not None:
        clause, values = entries.where(f.entries, tz)
        # The entry filter binds `?`s in order; here every parameter is named.
        for n, value in enumerate(values):
            clause = clause.replace("?", f"$entry{n}", 1)
            args[f"entry{n}"] = value
        where.append(f"m.user_id IN (SELECT e.customer_id FROM entries e WHERE {clause})")
    if f.activated:
        ctes.append(FIRST_DEPOSITS)
        joins += " JOIN firsts f ON f.user_id = m.user_id"
        where.append(f"f.first_deposit <= m.signed_up + {ACTIVATION_DAYS}")
    category = "NULL"
    if f.at is not None and f.windows is not None:
        ctes.append(
            "lasts AS (SELECT customer_id AS user_id, max(least(last_day, $at)) AS last_day"
            " FROM activity_spells WHERE first_day <= $at GROUP BY customer_id)"
        )
        ctes.append(
            CLOSED_STATES + ", gone AS (SELECT DISTINCT user_id FROM states"
            " WHERE all_closed AND $at >= since AND $at < until)"
        )
        joins += " LEFT JOIN lasts l ON l.user_id = m.user_id"
        joins += " LEFT JOIN gone g ON g.user_id = m.user_id"
        category = _CATEGORY
        args |= {"tz": tz, "short": f.windows[0], "long": f.windows[1]}
    ctes.append(
        f"listed AS (SELECT m.user_id, m.signed_up, m.segment, {category} AS category"
        f" FROM members m{joins} WHERE {' AND '.join(where)})"
    )
    if f.category is not None:
        ctes.append("chosen AS (SELECT * FROM listed WHERE category = $category)")
        args["category"] = f.category
    return ",\n".join(ctes), args


def _source(f: CustomerFilter) -> str:
    return "chosen" if f.category is not None else "listed"


def count(con: duckdb.DuckDBPyConnection, f: CustomerFilter) -> int:
    ctes, args = _listed(zone(con), f)
    row = con.execute(f"WITH {ctes} SELECT count(*) FROM {_source(f)}", args).fetchone()
    return 0 if row is None else int(row[0])


def page(
    con: duckdb.DuckDBPyConnection,
    f: CustomerFilter,
    *,
    older: CustomerKey | None,
    newer: CustomerKey | None,
    size: int,
) -> CustomerPage:
    ctes, args = _listed(zone(con), f)
    backwards = newer is not None  # walking towards later signups: read ascending, flip
    cursor = newer if newer is not None else older
    where = "TRUE"
    if cursor is not None:
        where = f"(signed_up, user_id) {'>' if backwards else '<'} ($key_day, $key_id)"
        args |= {"key_day": cursor.signed_up, "key_id": cursor.customer_id}
    direction = "ASC" if backwards else "DESC"
    rows = con.execute(
        f"WITH {ctes} SELECT user_id, signed_up, segment, category FROM {_source(f)}"
        f" WHERE {where} ORDER BY signed_up {direction}, user_id {direction} LIMIT $size",
        {**args, "size": size + 1},
    ).fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    lasts = _last_entries(con, [r[0] for r in rows], f)
    found = [ListedCustomer(u, day, segment, lasts.get(u), c) for u, day, segment, c in rows]
    if backwards:
        return CustomerPage(found, newer=more, older=True)
    return CustomerPage(found, newer=cursor is not None, older=more)


def _last_entries(
    con: duckdb.DuckDBPyConnection, ids: list[str], f: CustomerFilter
) -> dict[str, date]:
    """The page's customers' last day with an entry, on or before `at` when given. A spell's
    last day is an entry's: it answers unless `at` falls inside a spell, and then the last
    entry lies within SPELL_GAP_DAYS before `at` (spells are no sparser), a few days of
    the time-ordered entries to read rather than all of them."""
    if not ids:
        return {}
    at = f.at or date.max
    found: dict[str, date] = {}
    inside = []
    for customer, last, within in con.execute(
        "SELECT customer_id, max(least(last_day, $at)), bool_or(last_day > $at)"
        " FROM activity_spells WHERE customer_id IN (SELECT unnest($ids::VARCHAR[]))"
        " AND first_day <= $at GROUP BY customer_id",
        {"ids": ids, "at": at},
    ).fetchall():
        found[customer] = last
        if within:
            inside.append(customer)
    if inside:
        rows = con.execute(
            "SELECT customer_id, max(day) FROM entries"
            " WHERE day BETWEEN $since AND $at"
            " AND customer_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY customer_id",
            {"ids": inside, "at": at, "since": at - timedelta(days=SPELL_GAP_DAYS)},
        ).fetchall()
        found |= dict(rows)
    return found
