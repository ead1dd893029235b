"""The baseline: the same rows a transfer writes (its event too), in raw sqlite3, with the same
durability (WAL, synchronous=FULL, BEGIN IMMEDIATE) and the same schema as SqliteStore."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from importlib import resources


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(resources.files("flaskbank.store.sqlite").joinpath("schema.sql").read_text())
    return db


def seed(db: sqlite3.Connection, balance_minor: int) -> tuple[str, str]:
    db.execute(
        "INSERT OR IGNORE INTO users (id,email,email_key,full_name,password_hash,role,"
        "created_at) VALUES (?,'u@x','u@x','U','-','customer','')",
        (USER,),
    )
    ids = tuple(LABELS)
    for n, acc in enumerate(ids):
        db.execute(
            "INSERT OR IGNORE INTO accounts (id, number, user_id, type, currency, "
            "balance_minor, status, opened_at) VALUES (?,?,?,?,?,?,?,?)",
            (acc, f"raw-{n}", USER, "checking", "USD", balance_minor, "open", ""),
        )
    return ids


def transfer(db: sqlite3.Connection, src: str, dst: str, minor: int, key: str) -> str:
    """The rows a transfer writes, with the same content (labels, fingerprint, event payload
    and its JSON form) so that the two sides write the same bytes."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tid = str(uuid.uuid4())
    amount = f"{minor // 100}.{minor % 100:02d}"
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("SELECT 1 FROM idempotency_keys WHERE scope=? AND key=?", (USER, key)).fetchone()
        seq = db.execute(
            "INSERT INTO transactions (id,type,amount_minor,currency,memo,"
            "created_at,initiated_by) VALUES (?,?,?,?,?,?,?)",
            (tid, "transfer", minor, "USD", "", now, USER),
        ).lastrowid
        for acc, delta, other in ((src, -minor, dst), (dst, minor, src)):
            (bal,) = db.execute("SELECT balance_minor FROM accounts WHERE id=?", (acc,)).fetchone()
            db.execute("UPDATE accounts SET balance_minor=? WHERE id=?", (bal + delta, acc))
            db.execute(
                "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)",
                (acc, seq, tid, "transfer", delta, "USD", bal + delta, LABELS[other], "", now),
            )
        db.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, transaction_id, "
            "created_at) VALUES (?,?,?,?,?)",
            (USER, key, FINGERPRINT, tid, now),
        )
        payload = {
            "transaction_id": tid,
            "type": "transfer",
            "amount": amount,
            "currency": "USD",
            "memo": "",
            "legs": [
                {"account_id": src, "amount": f"-{amount}"},
                {"account_id": dst, "amount": amount},
            ],
        }
        db.execute(
            "INSERT INTO events (id, kind, subject, actor, at, payload) VALUES (?,?,?,?,?,?)",
            (
                str(uuid.uuid4()),
                "transaction_posted",
                src,
                USER,
                now,
                json.dumps(payload, separators=(",", ":"), sort_keys=True),
            ),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return tid


# Ids as long as ours (UUIDs), so that rows and index keys are the same size.
USER = "00000000-0000-4000-8000-000000000001"
#: The two accounts, and what the other side of a transfer shows in an entry: name and
#: account number, as ours.
LABELS = {
    "00000000-0000-4000-8000-0000000000a1": "a · 4000 0000 0001",
    "00000000-0000-4000-8000-0000000000b1": "b · 4000 0000 0002",
}
#: A request fingerprint is a SHA-256 in hex.
FINGERPRINT = "f" * 64
