"""The newest entries of busy accounts, kept between postings for monitoring's read.

Every posting is scored on its source account's newest entries (up to RECENT_LIMIT within the
scoring window). For a busy account that read was a fifth of a posting's CPU: 50 rows made
into Python objects each time, 49 of them the same as the last time. So this process keeps
each account's newest entries and asks SQLite only for those committed since
(`seq > last`), which is usually none or one.

Why that misses nothing: entries are only ever added, and `seq` comes from the
transactions table's AUTOINCREMENT under the one write lock, so an entry committed later
has a higher seq than every entry committed before it (as the event feed's positions:
events.py). Three things could break that, and each is handled:
- a read inside an open transaction could see an entry that is then rolled back: such reads
  go to the table and are not kept;
- a staged bulk load moves entries with old seqs into `entries` when it finishes, and drops
  its staging table in the same transaction: that changes the schema version, which every
  read compares, and a change empties the cache;
- the answer must be what the plain query gives, time window included: the cache holds the
  newest entries whatever their time, and when some of them are older than the window and
  the account has older entries still, the older ones inside the window are asked for
  (none, as long as time follows seq, which the ledger keeps: SqliteLedger.post).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import NamedTuple

from ...domain.ledger import TRANSACTION_TYPES
from ...domain.monitoring.checks import RecentEntry

#: Accounts kept: the busiest, by most recent use. At 50 entries each about 10 MiB at most.
CAPACITY = 1024

_COLUMNS = (
    # SQLite turns the time into seconds in C (what monitoring.profile.seconds makes of it:
    # the fraction dropped; unixepoch() would need SQLite 3.38, and on the whole text it
    # rounds .999999 up into the next second).
    "seq, created_at, CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER), "
    "amount_minor, type, counterparty, balance_after_minor"
)
_NEWEST = f"SELECT {_COLUMNS} FROM entries WHERE account_id=? AND seq>? ORDER BY seq DESC LIMIT ?"  # noqa: S608
#: Through the time index (`+seq` keeps the planner off the key, which would walk the
#: account's whole history back from `seq`): as many rows as the window holds.
_OLDER_IN_WINDOW = (
    f"SELECT {_COLUMNS} FROM entries WHERE account_id=? AND created_at>=? AND +seq<? "  # noqa: S608
    "ORDER BY +seq DESC LIMIT ?"
)
_PLAIN = (
    f"SELECT {_COLUMNS} FROM entries WHERE account_id=? AND created_at>=? "  # noqa: S608
    "ORDER BY seq DESC LIMIT ?"
)
_BEFORE_ALL = -(2**63)


class _Row(NamedTuple):
    seq: int
    created_at: str
    entry: RecentEntry


class _Kept(NamedTuple):
    last: int  # the highest seq read
    rows: list[_Row]  # newest first, at most `depth`
    whole: bool  # the account has no entries older than these


def _rows(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> list[_Row]:
    kind = TRANSACTION_TYPES
    return [
        _Row(r[0], r[1], RecentEntry(r[2], r[3], kind[r[4]], r[5], r[6]))
        for r in db.execute(sql, args).fetchall()
    ]


class RecentEntries:
    """`read(db, account, since, limit)` answers what the plain query answers: the account's
    entries at or after `since`, newest first, at most `limit`."""

    def __init__(self, depth: int, capacity: int = CAPACITY) -> None:
        self.depth = depth
        self.capacity = capacity
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._schema = -1
        self._lock = threading.Lock()

    def read(
        self, db: sqlite3.Connection, account_id: str, since: str, limit: int
    ) -> list[RecentEntry]:
        if limit != self.depth or db.in_transaction:
            return [r.entry for r in _rows(db, _PLAIN, (account_id, since, limit))]
        schema = db.execute("PRAGMA schema_version").fetchone()[0]
        with self._lock:
            if schema != self._schema:
                self._kept.clear()
                self._schema = schema
            kept = self._kept.get(account_id)
        if kept is None:
            fresh = _rows(db, _NEWEST, (account_id, _BEFORE_ALL, limit))
            kept = _Kept(fresh[0].seq if fresh else _BEFORE_ALL, fresh, len(fresh) < limit)
        else:
            fresh = _rows(db, _NEWEST, (account_id, kept.last, limit))
            if fresh:
                rows = fresh + kept.rows if len(fresh) < limit else fresh
                kept = _Kept(fresh[0].seq, rows[:limit], kept.whole and len(rows) <= limit)
        with self._lock:
            if schema == self._schema:
                found = self._kept.get(account_id)
                if found is None or found.last <= kept.last:  # never over a newer read
                    self._kept[account_id] = kept
                self._kept.move_to_end(account_id)
                if len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
        return [r.entry for r in self._window(db, account_id, since, limit, kept)]

    @staticmethod
    def _window(
        db: sqlite3.Connection, account_id: str, since: str, limit: int, kept: _Kept
    ) -> list[_Row]:
        inside = [r for r in kept.rows if r.created_at >= since]
        if len(inside) < limit and not kept.whole:
            oldest = kept.rows[-1].seq
            inside += _rows(db, _OLDER_IN_WINDOW, (account_id, since, oldest, limit - len(inside)))
        return inside
