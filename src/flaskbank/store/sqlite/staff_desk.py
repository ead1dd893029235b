"""Staff's notes on customers and requests for two-person approval, on SQLite. Writes go
through database.write(), so inside a unit of work they commit with their audit entries."""

from __future__ import annotations

import sqlite3

from ...domain.approvals import ApprovalRequest, ApprovalStatus
from ...domain.errors import StaleRecord, StoreError
from ...domain.notes import CustomerNote
from .database import SqliteDatabase

_NOTE = "id, customer_id, at, author_id, author_email, text"
_REQUEST = (
    "id, action, target, customer_id, reason, requested_by, requested_by_email, "
    "requested_at, expires_at, status, decided_by, decided_by_email, decided_at, version, "
    "detail"
)


def _request(r: sqlite3.Row) -> ApprovalRequest:
    fields = dict(r)
    fields["status"] = ApprovalStatus(fields["status"])
    return ApprovalRequest(**fields)


def _row(request: ApprovalRequest) -> dict[str, object]:
    return {k.strip(): getattr(request, k.strip()) for k in _REQUEST.split(",")} | {
        "status": request.status.value
    }


class SqliteNotes:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_note(self, note: CustomerNote) -> None:
        with self.database.write() as db:
            try:
                db.execute(
                    f"INSERT INTO customer_notes ({_NOTE}) VALUES (?,?,?,?,?,?)",
                    (
                        note.id,
                        note.customer_id,
                        note.at,
                        note.author_id,
                        note.author_email,
                        note.text,
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise StoreError("that note is stored") from e

    def notes_of(self, customer_id: str, *, limit: int) -> list[CustomerNote]:
        rows = self.database.conn.execute(
            # By time then id, as DynamoDB's sort key <at>#<id> orders them.
            f"SELECT {_NOTE} FROM customer_notes WHERE customer_id=? "
            "ORDER BY at DESC, id DESC LIMIT ?",
            (customer_id, limit),
        ).fetchall()
        return [CustomerNote(*r) for r in rows]


class SqliteApprovals:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_request(self, request: ApprovalRequest) -> None:
        row = _row(request)
        with self.database.write() as db:
            try:
                db.execute(
                    f"INSERT INTO approval_requests ({_REQUEST}) "
                    f"VALUES ({','.join(':' + k for k in row)})",
                    row,
                )
            except sqlite3.IntegrityError as e:
                raise StoreError("a request with that id is stored") from e

    def get_request(self, request_id: str) -> ApprovalRequest | None:
        row = self.database.conn.execute(
            f"SELECT {_REQUEST} FROM approval_requests WHERE id=?", (request_id,)
        ).fetchone()
        return None if row is None else _request(row)

    def save_request(self, request: ApprovalRequest) -> None:
        row = _row(request)
        sets = ",".join(f"{k}=:{k}" for k in row if k != "id")
        with self.database.write() as db:
            changed = db.execute(
                f"UPDATE approval_requests SET {sets} WHERE id=:id AND version=:read",
                {**row, "read": request.version - 1},
            ).rowcount
            if not changed:
                raise StaleRecord("the request changed meanwhile; read it again")

    def pending_requests(self, *, limit: int) -> list[ApprovalRequest]:
        rows = self.database.conn.execute(
            f"SELECT {_REQUEST} FROM approval_requests WHERE status=? "
            "ORDER BY requested_at, id LIMIT ?",
            (ApprovalStatus.PENDING.value, limit),
        ).fetchall()
        return [_request(r) for r in rows]
