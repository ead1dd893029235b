"""The event port on SQLite: an append-only table whose INTEGER PRIMARY KEY AUTOINCREMENT is
the feed position, and the consumers' checkpoints.

Why a reader never misses an event: every write runs in BEGIN IMMEDIATE, which holds the
database's one write lock from the transaction's start to its COMMIT, so writers run one at
a time, and AUTOINCREMENT gives each new row a position above every row ever stored. A
transaction that took position p has therefore committed (or rolled back, leaving no row)
before any transaction that takes a position above p begins. A reader sees the transactions
committed when its statement began (WAL keeps a snapshot per read): always all positions up
to some p and none above it. So when `position > checkpoint` returns p, nothing at or below
p can appear later, and resuming after p skips nothing.
"""

from __future__ import annotations

import json
import sqlite3

from ...domain.errors import StaleRecord, ValidationFailed
from ...domain.events import Event, EventKind, StoredEvent
from ..base import Checkpoint, EventPage, StoredEventPage
from .database import SqliteDatabase


def insert_event(db: sqlite3.Connection, event: Event) -> None:
    """Append the event on `db`, inside the transaction the caller holds."""
    db.execute(
        "INSERT INTO events (id, kind, subject, actor, at, payload) VALUES (?,?,?,?,?,?)",
        (
            event.id,
            event.kind.value,
            event.subject,
            event.actor,
            event.at,
            json.dumps(event.payload, separators=(",", ":"), sort_keys=True),
        ),
    )


def _position(checkpoint: str | None) -> int:
    if checkpoint is None or checkpoint == "":
        return 0
    if not (checkpoint.isascii() and checkpoint.isdigit()) or int(checkpoint) >= 2**63:
        raise ValidationFailed({"after": "not a checkpoint of this store's feed"})
    return int(checkpoint)


class SqliteEvents:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def append(self, event: Event) -> None:
        with self.database.write() as db:
            insert_event(db, event)

    def read(self, *, after: str | None, limit: int) -> EventPage:
        start = _position(after)
        rows = self.database.conn.execute(
            "SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?",
            (start, limit),
        ).fetchall()
        events = [_event(r) for r in rows]
        return EventPage(events, str(rows[-1]["position"] if rows else start))

    def read_stored(self, *, after: str | None, limit: int) -> StoredEventPage:
        start = _position(after)
        cursor = self.database.conn.cursor()
        cursor.row_factory = None  # plain tuples: a bulk read makes no Row per event
        rows = cursor.execute(
            "SELECT kind, subject, at, payload, CAST(position AS TEXT) FROM events"
            " WHERE position > ? ORDER BY position LIMIT ?",
            (start, limit),
        ).fetchall()
        return StoredEventPage(
            list(map(StoredEvent._make, rows)), rows[-1][4] if rows else str(start)
        )

    def checkpoint(self, consumer: str) -> Checkpoint:
        row = self.database.conn.execute(
            "SELECT position, version FROM consumer_checkpoints WHERE consumer=?", (consumer,)
        ).fetchone()
        return Checkpoint(consumer) if row is None else Checkpoint(consumer, *row)

    def save_checkpoint(self, consumer: str, position: str, *, version: int) -> Checkpoint:
        _position(position)
        with self.database.write() as db:
            if version == 0:
                moved = db.execute(
                    "INSERT OR IGNORE INTO consumer_checkpoints VALUES (?,?,1)",
                    (consumer, position),
                ).rowcount
            else:
                moved = db.execute(
                    "UPDATE consumer_checkpoints SET position=?, version=version+1 "
                    "WHERE consumer=? AND version=?",
                    (position, consumer, version),
                ).rowcount
            if not moved:
                raise StaleRecord(f"consumer {consumer}'s checkpoint moved meanwhile")
        return Checkpoint(consumer, position, version + 1)


def _event(r: sqlite3.Row) -> Event:
    return Event(
        r["id"],
        EventKind(r["kind"]),
        r["subject"],
        r["actor"],
        r["at"],
        json.loads(r["payload"]),
        str(r["position"]),
    )
