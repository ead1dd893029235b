"""The bulk-load port on SQLite: one BEGIN IMMEDIATE transaction per batch, its rows written
with a few large `executemany` calls.

What `post` does per request is done here once per batch: each touched account's balance is
read once, every customer leg is judged by the domain's rule (chart.check_leg) on the
balance it lands on, as the batch's postings run in order, and each account's stored balance
is written once at the end; an account_status_changed event of the batch then sets its
account's status (a closing as close_account makes it). The batch's record in `bulk_loads`
moves in the same transaction, so a batch is in (with its count) or not at all, and a
killed load resumes at the first batch that is not.

A large load (a first batch of `stage_from` postings or more) stages its entries: they go
into `bulk_entries`, a plain table that only grows at its end, and `finish` moves them into
`entries` sorted by its key (account, seq) and builds the entries' other indexes once,
sorted, in one transaction. Inserted one by one, every entry landed on a random page of the
entries' key and of its index by account and time, and the load was bound by rewriting
those pages (docs/synthetic.md). Until it finishes, a staged load's entries are not in the
accounts' histories, which is why an unfinished load is named by `verify` and refused by
`serve`; balances, transactions and events are in with each batch.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Iterator, Sequence

from ...domain.accounts import AccountStatus, Role, User
from ...domain.chart import (
    BalancePolicy,
    Standing,
    check_leg,
    is_internal,
    leg_passes,
    policy_of,
)
from ...domain.errors import AccountNotFound, BulkLoadOutOfOrder, InvalidAmount, StoreError
from ...domain.events import Event, EventKind, posted_id_in_time
from ...domain.labels import Label, Pattern
from ...domain.ledger import Posting
from ...domain.money import Money
from ..base import BulkBatch
from .database import BUSY_TIMEOUT_MS, SqliteDatabase
from .events import JSON as _JSON
from .events import TEXT as _TEXT
from .events import posted_row
from .ledger import SqliteLedger
from .rows import ENTRY_COLS, user_row

#: How many ids one `IN (...)` names (SQLite's default limit on parameters is 32766).
_CHUNK = 500
CACHE_KIB = 128 * 1024
STAGED_CACHE_KIB = 32 * 1024
SORT_CACHE_KIB = 192 * 1024
_USER_COLS = tuple(user_row(User("", "", "", "", Role.CUSTOMER, "")))
_AT = operator.itemgetter(4)
#: Where a large load's entries wait for `finish`: the columns of entries, in insert order.
_STAGED = "bulk_entries"
#: The journal a staged load appends under when it has the file to itself (SqliteBulk.load).
_APPENDING = "truncate"
_STAGE = (
    f"CREATE TABLE IF NOT EXISTS {_STAGED} (account_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "transaction_id TEXT NOT NULL, type TEXT NOT NULL, amount_minor INTEGER NOT NULL, "
    "currency TEXT NOT NULL, balance_after_minor INTEGER, counterparty TEXT NOT NULL, "
    "memo TEXT NOT NULL, created_at TEXT NOT NULL)"
)
#: The entries' indexes besides their key, as schema.sql makes them (a test compares them):
#: built once after a staged load's entries are in.
_ENTRY_INDEXES = {
    "entries_by_time": (
        "CREATE INDEX IF NOT EXISTS entries_by_time ON entries (account_id, created_at)"
    ),
    "entries_by_seq": "CREATE INDEX IF NOT EXISTS entries_by_seq ON entries (seq)",
}


def _posted_row(posting: Posting) -> tuple[str, str, str, str, str, str]:
    """The row of transaction_posted_in_time(posting)."""
    return posted_row(posting, posted_id_in_time(posting.id))


def _staged(db: sqlite3.Connection) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (_STAGED,)
        ).fetchone()
    )


def _journal_mode(db: sqlite3.Connection) -> str:
    return str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _journal(db: sqlite3.Connection, mode: str) -> bool:
    """Put the file in journal `mode` if no other connection has it open (leaving the
    write-ahead log needs the file alone), with the syncs the mode needs to survive power
    loss; whether it is in that mode now. Another connection (a server started before the
    load, a test's reader) keeps it as it is: it waits for nothing."""
    if _journal_mode(db) != mode:
        db.execute("PRAGMA busy_timeout=0")
        try:
            db.execute(f"PRAGMA journal_mode={mode}")
        except sqlite3.OperationalError:  # "database is locked": someone else has it
            pass
        finally:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if _journal_mode(db) != mode:
        return False
    db.execute("PRAGMA synchronous=FULL")
    return True


class _Balances:
    """The touched accounts as the batch has moved them so far (minor units), and what else
    the rules read of each (held amount, status, policy, number), which a batch leaves as
    they are."""

    def __init__(self, db: sqlite3.Connection, account_ids: Sequence[str]) -> None:
        self.minor: dict[str, int] = {}
        self.rest: dict[str, tuple[Money, int, AccountStatus, BalancePolicy, str]] = {}
        for start in range(0, len(account_ids), _CHUNK):
            ids = account_ids[start : start + _CHUNK]
            for r in db.execute(
                "SELECT id, balance_minor, held_minor, status, number, type, currency "
                f"FROM accounts WHERE id IN ({','.join('?' * len(ids))})",
                ids,
            ):
                self.minor[r[0]] = r[1]
                held = Money.from_minor(r[2], r[6])
                self.rest[r[0]] = (held, r[2], AccountStatus(r[3]), policy_of(r[5]), r[4])

    def apply(self, account_id: str, amount: Money, minor: int) -> int:
        """Judge the leg (`minor`: its amount in minor units) on the balance it lands on and
        move it; the balance after. The rule runs in minor units (chart.leg_passes); a leg
        it may refuse goes to check_leg, which refuses it with the reason."""
        if account_id not in self.rest:
            raise AccountNotFound(f"no such account {account_id}")
        held, held_minor, status, policy, number = self.rest[account_id]
        balance = self.minor[account_id]
        if held.currency != amount.currency:  # the services refuse it first; so do we
            raise InvalidAmount(f"account {number} holds {held.currency}")
        if not leg_passes(status, policy, balance - held_minor, minor):
            check_leg(
                Standing(Money.from_minor(balance, amount.currency), held, status, policy, number),
                amount,
            )
        after = balance + minor
        self.minor[account_id] = after
        return after


class SqliteBulk:
    #: A load whose first batch has this many postings stages its entries (above); a load
    #: of a few batches is not worth the move.
    stage_from = 10_000

    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def load(self, batch: BulkBatch) -> None:
        db = self.database.conn
        if not getattr(self.database.local, "bulk_cache", False):
            # A batch of a load that does not stage touches pages all over the entries'
            # indexes: a larger page cache for this connection saves re-reading them batch
            # after batch. A staged load's batches append (_staging shrinks it again).
            db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self.database.local.bulk_cache = True
        if db.in_transaction:  # inside a unit of work: its durability, as it is
            self._load(batch)
            return
        if self._will_stage(db, batch) and _journal(db, _APPENDING):
            # A rollback journal keeps the old content of the pages a batch changes: a
            # staged batch appends nearly all of its pages past the file's end, which it
            # does not journal, so each page is written once. The write-ahead log wrote
            # each twice (in the log, then back into the file), a sixth of a batch's time.
            # FULL: a rollback journal needs its syncs to survive power loss.
            self._load(batch)
            return
        # A batch need not survive power loss the moment it commits, as a posting must: its
        # count commits with it, so a lost batch is simply loaded again when the load
        # resumes, and finish() (synchronous=FULL) syncs the log with every batch in it.
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._load(batch)
        finally:
            db.execute("PRAGMA synchronous=FULL")

    def _load(self, batch: BulkBatch) -> None:
        with self.database.write() as db:
            done = self._loaded(db, batch.load_id)
            if batch.number < done:
                return  # in already: a resumed load replays its stream up to here
            if batch.number > done:
                raise BulkLoadOutOfOrder(
                    f"load {batch.load_id}: batch {batch.number} came before batch {done}"
                )
            try:
                self._users_and_accounts(db, batch)
                staged = self._staging(db, batch)
                posted = self._postings(db, batch.postings, _STAGED if staged else "entries")
                self._statuses(db, batch.events)
                self._events(db, posted, batch.events)
                self._labels(db, batch.labels)
            except sqlite3.IntegrityError as e:  # an email, number or id the store holds
                raise StoreError(
                    f"load {batch.load_id}, batch {batch.number}: {e}; it collides with what "
                    "the store holds already (load a synthetic bank into a fresh store)"
                ) from e
            db.execute(
                "INSERT INTO bulk_loads (load_id, batches, finished) VALUES (?, ?, 0) "
                "ON CONFLICT (load_id) DO UPDATE SET batches = excluded.batches",
                (batch.load_id, batch.number + 1),
            )

    @staticmethod
    def _loaded(db: sqlite3.Connection, load_id: str) -> int:
        row = db.execute("SELECT batches FROM bulk_loads WHERE load_id=?", (load_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def _will_stage(self, db: sqlite3.Connection, batch: BulkBatch) -> bool:
        return _staged(db) or (batch.number == 0 and len(batch.postings) >= self.stage_from)

    def _staging(self, db: sqlite3.Connection, batch: BulkBatch) -> bool:
        """Whether this batch's entries wait in the staging table: a large load's from its
        first batch on (a resumed one finds the table), and any other load's that runs while
        one is staged (finish moves them all)."""
        staged = self._will_stage(db, batch)
        if staged:
            db.execute(_STAGE)  # if not there yet
            # Its batches append to tables and touch the accounts: a small cache holds what
            # they read again, and leaves memory to the generator (a 10M load's 1 GiB).
            db.execute(f"PRAGMA cache_size=-{STAGED_CACHE_KIB}")
        return staged

    @staticmethod
    def _users_and_accounts(db: sqlite3.Connection, batch: BulkBatch) -> None:
        if batch.users:
            db.executemany(
                f"INSERT INTO users ({','.join(_USER_COLS)}) "
                f"VALUES ({','.join('?' * len(_USER_COLS))})",
                [tuple(user_row(u).values()) for u in batch.users],
            )
        if batch.accounts:
            db.executemany(
                "INSERT INTO accounts (id, number, user_id, type, currency, balance_minor, "
                "status, opened_at, status_reason) VALUES (?,?,?,?,?,0,?,?,?)",
                [
                    (
                        a.id,
                        a.number,
                        a.user_id,
                        a.type.value,
                        a.currency,
                        a.status.value,
                        a.opened_at,
                        a.status_reason,
                    )
                    for a in batch.accounts
                ],
            )

    @staticmethod
    def _postings(
        db: sqlite3.Connection, postings: Sequence[Posting], entries_table: str
    ) -> list[Posting]:
        """Write the postings in order, their entries into `entries_table`; returns them for
        their events."""
        if not postings:
            return []
        # Time order is commit order is seq order (statements and the feed rely on the
        # balance chain following created_at): a batch may not reach back before the last
        # stored posting, nor go back in time within itself.
        last = db.execute(
            "SELECT created_at FROM transactions ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        previous = "" if last is None else last[0]
        for posting in postings:
            if posting.created_at < previous:
                raise StoreError(
                    f"posting {posting.id} at {posting.created_at} comes before one at "
                    f"{previous}: a bulk load's postings must follow the ledger in time"
                )
            previous = posting.created_at
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name='transactions'").fetchone()
        seq = 0 if row is None else int(row[0])
        touched = list(
            dict.fromkeys(
                leg.account_id
                for p in postings
                for leg in p.legs
                if not is_internal(leg.account_id)
            )
        )
        balances = _Balances(db, touched)
        headers = []
        entries = []
        apply = balances.apply
        for posting in postings:
            seq += 1
            tid, kind, memo, at = posting.id, _TEXT[posting.type], posting.memo, posting.created_at
            amount = posting.amount
            headers.append(
                (seq, tid, kind, amount.minor, amount.currency, memo, at, posting.initiated_by)
            )
            for leg in posting.legs:
                account_id, money = leg.account_id, leg.amount
                minor = money.minor
                after = None if is_internal(account_id) else apply(account_id, money, minor)
                entries.append(
                    (
                        account_id,
                        seq,
                        tid,
                        kind,
                        minor,
                        money.currency,
                        after,
                        leg.counterparty,
                        memo,
                        at,
                    )
                )
        db.executemany(
            "INSERT INTO transactions (seq,id,type,amount_minor,currency,memo,created_at,"
            "initiated_by) VALUES (?,?,?,?,?,?,?,?)",
            headers,
        )
        db.executemany(
            f"INSERT INTO {entries_table} ({ENTRY_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)", entries
        )
        db.executemany(
            "UPDATE accounts SET balance_minor=? WHERE id=?",
            [(minor, account_id) for account_id, minor in balances.minor.items()],
        )
        return list(postings)

    @staticmethod
    def _statuses(db: sqlite3.Connection, events: Sequence[Event]) -> None:
        """Each account_status_changed event of the batch sets its account's status once the
        batch's postings are in (the generator's leavers whose accounts the bank closes); a
        closing is judged as close_account judges it: an open account, left empty."""
        for event in events:
            if event.kind is not EventKind.ACCOUNT_STATUS_CHANGED:
                continue
            status = AccountStatus(str(event.payload["status"]))
            reason = str(event.payload.get("reason") or "")
            if status is AccountStatus.CLOSED:
                SqliteLedger.close_empty(db, event.subject, reason)
            elif not db.execute(
                "UPDATE accounts SET status=?, status_reason=? WHERE id=?",
                (status.value, reason, event.subject),
            ).rowcount:
                raise AccountNotFound(f"no such account {event.subject}")

    @staticmethod
    def _events(db: sqlite3.Connection, posted: Sequence[Posting], others: Sequence[Event]) -> None:
        """The postings' own events and the batch's others, in time order (a login before
        the transfer it led to); the same rows as events.insert_event writes."""
        rows = [_posted_row(p) for p in posted]
        rows.extend(
            (e.id, _TEXT[e.kind], e.subject, e.actor, e.at, _JSON(e.payload)) for e in others
        )
        rows.sort(key=_AT)  # stable: a posting's event keeps its place in a tie
        db.executemany(
            "INSERT INTO events (id, kind, subject, actor, at, payload) VALUES (?,?,?,?,?,?)", rows
        )

    @staticmethod
    def _labels(db: sqlite3.Connection, labels: Sequence[Label]) -> None:
        db.executemany(
            "INSERT INTO labels (id, pattern, user_id, transaction_ids, start, end, note) "
            "VALUES (?,?,?,?,?,?,?)",
            [
                (
                    lb.id,
                    lb.pattern.value,
                    lb.user_id,
                    json.dumps(list(lb.transaction_ids)),
                    lb.start,
                    lb.end,
                    lb.note,
                )
                for lb in labels
            ],
        )

    def loaded(self, load_id: str) -> int:
        return self._loaded(self.database.conn, load_id)

    def unfinished_loads(self) -> list[str]:
        return [
            r[0]
            for r in self.database.conn.execute(
                "SELECT load_id FROM bulk_loads WHERE finished=0 ORDER BY load_id"
            )
        ]

    def finish(self, load_id: str) -> None:
        db = self.database.conn
        # The move appends the entries and their indexes past the file's end: with the file
        # to itself it does so under a rollback journal, as a staged batch does (load). At
        # 10M the write-ahead log grew to 6.7 GB, and its checkpoint copied all of it again.
        appending = not db.in_transaction and _staged(db) and _journal(db, _APPENDING)
        try:
            with self.database.write() as db:
                if _staged(db):
                    self._move_staged(db)
                db.execute(
                    "INSERT INTO bulk_loads (load_id, batches, finished) VALUES (?, 0, 1) "
                    "ON CONFLICT (load_id) DO UPDATE SET finished = 1",
                    (load_id,),
                )
        finally:
            if appending or _journal_mode(db) != "wal":
                _journal(db, "wal")  # as every connection of the store asks (database.py)

    @staticmethod
    def _move_staged(db: sqlite3.Connection) -> None:
        """The staged entries into entries in key order (each page of the key written once,
        in order), then the other indexes built by one sort each; in finish's transaction,
        so the indexes exist whenever no load is finishing. A sort keeps as much in memory
        as the page cache may hold, and its helper thread as much again. A large load's
        generator has ended by now (its process gone, synthetic/apart.py), so the sorts may
        take 192 MiB and a helper: at 10M, 3.4 GB of entries sorted in 32 MiB runs took two
        rounds of merging through temporary files. (With the generator in this process,
        128 MiB and a helper took a 10M load's peak from 766 MiB to 1,135 MiB.)"""
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        threads = db.execute("PRAGMA threads").fetchone()[0]
        db.execute(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
        db.execute("PRAGMA threads=1")
        try:
            SqliteBulk._move(db)
        finally:
            db.execute(f"PRAGMA cache_size={int(cache)}")
            db.execute(f"PRAGMA threads={int(threads)}")

    @staticmethod
    def _move(db: sqlite3.Connection) -> None:
        for name in _ENTRY_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        db.execute(
            f"INSERT INTO entries ({ENTRY_COLS}) SELECT {ENTRY_COLS} FROM {_STAGED} "
            "ORDER BY account_id, seq"
        )
        db.execute(f"DROP TABLE {_STAGED}")
        for statement in _ENTRY_INDEXES.values():
            db.execute(statement)

    def labels(self) -> Iterator[Label]:
        for r in self.database.conn.execute("SELECT * FROM labels ORDER BY start, id"):
            yield Label(
                r["id"],
                Pattern(r["pattern"]),
                r["user_id"],
                tuple(json.loads(r["transaction_ids"])),
                r["start"],
                r["end"],
                r["note"],
            )
