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
from enum import StrEnum
from json.encoder import encode_basestring_ascii as _quoted  # json.dumps's own

from ...domain.errors import StaleRecord, ValidationFailed
from ...domain.events import Event, EventKind, StoredEvent, check_json_safe, posted_id
from ...domain.ledger import Posting, TransactionType
from ..base import Checkpoint, EventPage, StoredEventPage
from .database import SqliteDatabase

#: insert_event's JSON, with its encoder made once (json.dumps makes one a call).
JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
#: Each kind's text, looked up (an enum's .value is a property: a call per row).
TEXT: dict[StrEnum, str] = {k: k.value for k in (*EventKind, *TransactionType)}
_INSERT = "INSERT INTO events (id, kind, subject, actor, at, payload) VALUES (?,?,?,?,?,?)"
_POSTED = EventKind.TRANSACTION_POSTED.value


def insert_event(db: sqlite3.Connection, event: Event) -> None:
    """Append the event on `db`, inside the transaction the caller holds."""
    db.execute(
        _INSERT,
        (event.id, event.kind.value, event.subject, event.actor, event.at, JSON(event.payload)),
    )


def posted_payload(posting: Posting) -> str:
    """The payload of transaction_posted(posting) as insert_event writes it: the same text as
    json.dumps with sorted keys gives (tests/test_synthetic_apart.py compares them), spelled
    out instead of building the payload, checking it and walking it, which was most of a
    bulk batch's event cost and a tenth of a posting's CPU. Every text goes through json's
    own escaper; the screening verdict, the one part not text by construction, is checked
    and encoded as any payload is."""
    legs = ",".join(
        f'{{"account_id":{_quoted(leg.account_id)},"amount":"{leg.amount}"}}'
        for leg in posting.legs
    )
    closes = f'"closes":{_quoted(posting.closes)},' if posting.closes else ""
    screening = ""
    if posting.screening is not None:
        verdict = dict(posting.screening)  # as transaction_posted copies it
        check_json_safe(verdict, "payload.screening")
        screening = f'"screening":{JSON(verdict)},'
    return (
        f'{{"amount":"{posting.amount}",{closes}'
        f'"currency":{_quoted(posting.amount.currency)},"legs":[{legs}],'
        f'"memo":{_quoted(posting.memo)},{screening}"transaction_id":{_quoted(posting.id)},'
        f'"type":"{TEXT[posting.type]}"}}'
    )


def posted_row(posting: Posting, event_id: str) -> tuple[str, str, str, str, str, str]:
    """The events row of the posting's transaction_posted event under `event_id`: the
    id, kind, subject, actor, time and payload insert_event writes."""
    return (
        event_id,
        _POSTED,
        posting.legs[0].account_id,
        posting.initiated_by,
        posting.created_at,
        posted_payload(posting),
    )


def insert_posted(db: sqlite3.Connection, posting: Posting) -> None:
    """insert_event(db, transaction_posted(posting)), written straight from the posting."""
    db.execute(_INSERT, posted_row(posting, posted_id(posting.id)))


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
