"""closing_days: the closing balances of every account type, segment and currency at the
end of each day that is over, kept by the writer so that balances by day or week read a
few rows per day instead of every account at every day (at 10 million transactions, two
years by day took 26 seconds: 731 days of 94,285 accounts each, their medians sorted).

A day is over once the feed has moved past it: the days before the local day of the last
event applied. The writer fills the days after feed.closed_through once a sync's batches
are in (WarehouseWriter.close_days; after a rebuild, once it is published). A batch that
brings something that happened on a day already kept (an entry, an account
opened, a status change: a late or backdated event, a bulk load out of order) drops the
kept days from that one on, and they are filled again from the facts as they now stand.
The figures are those of balances.py's query, only computed once.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import duckdb

from .balances import GROUPS, at_ends
from .zones import local_time


def forget_from(con: duckdb.DuckDBPyConnection, day: date | None) -> None:
    """Something happened on `day`: the kept days from it on no longer hold."""
    if day is None:
        return
    con.execute(
        "UPDATE feed SET closed_through = ?::DATE - 1 WHERE id = 1 AND closed_through >= ?",
        [day, day],
    )
    con.execute("DELETE FROM closing_days WHERE day >= ?", [day])


def close_days(
    con: duckdb.DuckDBPyConnection, timezone: str, was: date | None, months: int | None
) -> int:
    """Fill closing_days for the days that are over and not kept yet, at most `months`
    months of them (None: all): the days before the last event's day, and those kept before
    (`was`), which a late batch with an older last event does not make less over. Returns
    how many days were filled."""
    local_last = local_time(timezone, "last_event_at::TIMESTAMP")
    opened = local_time(timezone, "opened_at")
    row = con.execute(
        f"SELECT closed_through, CASE WHEN last_event_at = '' THEN NULL"
        f" ELSE ({local_last})::DATE - 1 END,"
        f" (SELECT least(min(({opened})::DATE), (SELECT min(day) FROM daily_totals))"
        f" FROM accounts) FROM feed WHERE id = 1"
    ).fetchone()
    if row is None or row[1] is None or row[2] is None:
        return 0
    kept: date | None = row[0]
    over: date = row[1]
    first: date = row[2]
    over = max(over, was) if was is not None else over
    day = start = max(first, kept + timedelta(days=1)) if kept is not None else first
    # A month's days a statement: each holds every account at every one of its days (all
    # two years of the 10M bank at once would be 69 million rows), and the months before
    # are read whole from account_months, only this one's days from the entries.
    while day <= over and months != 0:
        end = min(over, day.replace(day=calendar.monthrange(day.year, day.month)[1]))
        days = [day + timedelta(days=n) for n in range((end - day).days + 1)]
        con.execute("INSERT INTO closing_days " + at_ends(GROUPS, days), [days, None, None])
        day = end + timedelta(days=1)
        months = None if months is None else months - 1
    through = day - timedelta(days=1)
    if through >= start:
        con.execute("UPDATE feed SET closed_through = ? WHERE id = 1", [through])
    return max(0, (through - start).days + 1)
