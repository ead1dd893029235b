"""The sessions-and-tokens port on SQLite: browser sessions (saved only as a conditional
update of the version read, so an ended one stays ended), API tokens and login throttles."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from ...domain.accounts import User
from ...domain.errors import StaleRecord
from ...domain.security import ApiToken, LoginThrottle, WebSession
from .database import SqliteDatabase
from .rows import row_to_token, row_to_user


def _session(r: sqlite3.Row) -> WebSession:
    return WebSession(
        r["id_hash"],
        r["user_id"],
        r["created_at"],
        r["last_seen_at"],
        json.loads(r["data"]),
        r["version"],
    )


class SqliteSessions:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_session(self, session: WebSession) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at, "
                "data, version) VALUES (?,?,?,?,?,0)",
                (
                    session.id_hash,
                    session.user_id,
                    session.created_at,
                    session.last_seen_at,
                    json.dumps(session.data),
                ),
            )

    def save_session(self, session: WebSession) -> WebSession | None:
        # An UPDATE, never an upsert: a session that was ended stays ended.
        with self.database.write() as db:
            saved = db.execute(
                "UPDATE web_sessions SET user_id=?, last_seen_at=?, data=?, version=version+1 "
                "WHERE id_hash=? AND version=?",
                (
                    session.user_id,
                    session.last_seen_at,
                    json.dumps(session.data),
                    session.id_hash,
                    session.version,
                ),
            ).rowcount
            if saved:
                return replace(session, version=session.version + 1)
            if db.execute(
                "SELECT 1 FROM web_sessions WHERE id_hash=?", (session.id_hash,)
            ).fetchone():
                raise StaleRecord("the session was saved meanwhile")
            return None

    def get_session(self, id_hash: str) -> WebSession | None:
        r = self.database.conn.execute(
            "SELECT * FROM web_sessions WHERE id_hash=?", (id_hash,)
        ).fetchone()
        return None if r is None else _session(r)

    def sessions_of(self, user_id: str) -> list[WebSession]:
        rows = self.database.conn.execute(
            "SELECT * FROM web_sessions WHERE user_id=? ORDER BY created_at, id_hash", (user_id,)
        ).fetchall()
        return [_session(r) for r in rows]

    def delete_session(self, id_hash: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM web_sessions WHERE id_hash=?", (id_hash,))

    def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> int:
        with self.database.write() as db:
            return db.execute(
                "DELETE FROM web_sessions WHERE user_id=? AND id_hash IS NOT ?", (user_id, keep)
            ).rowcount

    def add_token(self, token: ApiToken) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at, "
                "revoked, stamp) VALUES (?,?,?,?,?,?)",
                (
                    token.token_hash,
                    token.user_id,
                    token.created_at,
                    token.expires_at,
                    int(token.revoked),
                    token.stamp,
                ),
            )

    def get_token(self, token_hash: str) -> ApiToken | None:
        row = self.database.conn.execute(
            "SELECT * FROM api_tokens WHERE token_hash=?", (token_hash,)
        ).fetchone()
        return None if row is None else row_to_token(row)

    def get_token_with_user(
        self, token_hash: str, user_id: str | None = None
    ) -> tuple[ApiToken, User | None] | None:
        row = self.database.conn.execute(
            "SELECT u.*, t.token_hash, t.user_id AS token_user_id, t.created_at AS issued_at, "
            "t.expires_at, t.revoked, t.stamp FROM api_tokens t "
            "LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash=?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        token = ApiToken(
            row["token_hash"],
            row["token_user_id"],
            row["issued_at"],
            row["expires_at"],
            bool(row["revoked"]),
            row["stamp"],
        )
        return token, (row_to_user(row) if row["id"] is not None else None)

    def revoke_token(self, token_hash: str) -> None:
        with self.database.write() as db:
            db.execute("UPDATE api_tokens SET revoked=1 WHERE token_hash=?", (token_hash,))

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        rows = self.database.conn.execute(
            "SELECT * FROM api_tokens WHERE user_id=? ORDER BY created_at DESC", (user_id,)
        ).fetchall()
        return [row_to_token(r) for r in rows]

    def revoke_tokens_of(self, user_id: str) -> int:
        with self.database.write() as db:
            return db.execute(
                "UPDATE api_tokens SET revoked=1 WHERE user_id=? AND revoked=0", (user_id,)
            ).rowcount

    def login_throttle(self, email_key: str) -> LoginThrottle:
        r = self.database.conn.execute(
            "SELECT failures, locked_until FROM login_throttles WHERE email_key=?", (email_key,)
        ).fetchone()
        return LoginThrottle(r["failures"], r["locked_until"]) if r else LoginThrottle()

    def record_login_failure(self, email_key: str) -> int:
        with self.database.write() as db:
            row = db.execute(
                "INSERT INTO login_throttles VALUES (?, 1, NULL) ON CONFLICT(email_key) "
                "DO UPDATE SET failures=failures+1 RETURNING failures",
                (email_key,),
            ).fetchone()
            return int(row[0])

    def lock_login(self, email_key: str, until: str) -> None:
        with self.database.write() as db:
            db.execute(
                "UPDATE login_throttles SET locked_until=? WHERE email_key=?", (until, email_key)
            )

    def clear_login_failures(self, email_key: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM login_throttles WHERE email_key=?", (email_key,))
