"""SqliteStore's security tables: sessions, login throttles, the audit log, staff lookups,
TOTP replay protection and token lists. A mixin, so that sqlite.py stays about the ledger."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import replace

from ..domain.accounts import User
from ..domain.digits import ASCII_DIGITS
from ..domain.errors import StaleRecord
from ..domain.identity import email_key
from ..domain.security import ApiToken, AuditAction, AuditEvent, LoginThrottle, WebSession
from .base import Page
from .cursors import decode_cursor, encode_cursor
from .sqlite_rows import row_to_token, row_to_user


def _position(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if not isinstance(position, int) or not 0 <= position < 2**63:
        decode_cursor("!")  # the same 422 as any other foreign cursor
    return int(position)


class SqliteSecurity:
    """Expects the host class to provide `_db` (this thread's connection) and `_write()`."""

    @property
    def _db(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    # -- users and tokens ---------------------------------------------------------------
    def record_totp_step(self, user_id: str, step: int) -> bool:
        with self._write() as db:
            return db.execute("UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step<?",
                              (step, user_id, step)).rowcount == 1

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        with self._write() as db:
            row = db.execute("SELECT recovery_codes FROM users WHERE id=?", (user_id,)).fetchone()
            codes = json.loads(row["recovery_codes"]) if row else []
            if code_hash not in codes:
                return False
            codes.remove(code_hash)
            db.execute("UPDATE users SET recovery_codes=? WHERE id=?", (json.dumps(codes), user_id))
            return True

    def search_users(self, text: str, *, limit: int) -> list[User]:
        digits = "".join(c for c in text if c in ASCII_DIGITS)
        prefix = email_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT * FROM users WHERE email_key LIKE :p ESCAPE '\\' "
            "OR lower(full_name) LIKE :p ESCAPE '\\' "
            "OR id IN (SELECT user_id FROM accounts WHERE number=:n) "
            "ORDER BY lower(full_name), email_key LIMIT :limit",
            {"p": prefix + "%", "n": digits, "limit": limit},
        ).fetchall()
        return [row_to_user(r) for r in rows]

    def list_users(self, *, limit: int, cursor: str | None = None) -> Page[User]:
        after = _position(cursor) or 0
        rows = self._db.execute("SELECT rowid, * FROM users WHERE rowid>? ORDER BY rowid LIMIT ?",
                                (after, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([row_to_user(r) for r in rows],
                    encode_cursor(rows[-1]["rowid"]) if more else None)

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        rows = self._db.execute("SELECT * FROM api_tokens WHERE user_id=? "
                                "ORDER BY created_at DESC", (user_id,)).fetchall()
        return [row_to_token(r) for r in rows]

    def revoke_tokens_of(self, user_id: str) -> int:
        with self._write() as db:
            return db.execute("UPDATE api_tokens SET revoked=1 WHERE user_id=? AND revoked=0",
                              (user_id,)).rowcount

    # -- sessions -----------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        with self._write() as db:
            db.execute("INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at, "
                       "data, version) VALUES (?,?,?,?,?,0)",
                       (session.id_hash, session.user_id, session.created_at,
                        session.last_seen_at, json.dumps(session.data)))

    def save_session(self, session: WebSession) -> WebSession | None:
        # An UPDATE, never an upsert: a session that was ended stays ended.
        with self._write() as db:
            saved = db.execute(
                "UPDATE web_sessions SET user_id=?, last_seen_at=?, data=?, version=version+1 "
                "WHERE id_hash=? AND version=?",
                (session.user_id, session.last_seen_at, json.dumps(session.data),
                 session.id_hash, session.version)).rowcount
            if saved:
                return replace(session, version=session.version + 1)
            if db.execute("SELECT 1 FROM web_sessions WHERE id_hash=?",
                          (session.id_hash,)).fetchone():
                raise StaleRecord("the session was saved meanwhile")
            return None

    def get_session(self, id_hash: str) -> WebSession | None:
        r = self._db.execute("SELECT * FROM web_sessions WHERE id_hash=?", (id_hash,)).fetchone()
        if r is None:
            return None
        return WebSession(r["id_hash"], r["user_id"], r["created_at"], r["last_seen_at"],
                          json.loads(r["data"]), r["version"])

    def delete_session(self, id_hash: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM web_sessions WHERE id_hash=?", (id_hash,))

    def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM web_sessions WHERE user_id=? AND id_hash IS NOT ?",
                              (user_id, keep)).rowcount

    # -- login throttles ----------------------------------------------------------------
    def login_throttle(self, email_key: str) -> LoginThrottle:
        r = self._db.execute("SELECT failures, locked_until FROM login_throttles "
                             "WHERE email_key=?", (email_key,)).fetchone()
        return LoginThrottle(r["failures"], r["locked_until"]) if r else LoginThrottle()

    def record_login_failure(self, email_key: str) -> int:
        with self._write() as db:
            row = db.execute(
                "INSERT INTO login_throttles VALUES (?, 1, NULL) ON CONFLICT(email_key) "
                "DO UPDATE SET failures=failures+1 RETURNING failures", (email_key,)).fetchone()
            return int(row[0])

    def lock_login(self, email_key: str, until: str) -> None:
        with self._write() as db:
            db.execute("UPDATE login_throttles SET locked_until=? WHERE email_key=?",
                       (until, email_key))

    def clear_login_failures(self, email_key: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM login_throttles WHERE email_key=?", (email_key,))

    # -- audit log ----------------------------------------------------------------------
    def append_audit(self, event: AuditEvent) -> None:
        with self._write() as db:
            db.execute("INSERT INTO audit_log (id,at,action,actor_id,actor_email,ip,target,"
                       "details) VALUES (?,?,?,?,?,?,?,?)",
                       (event.id, event.at, event.action.value, event.actor_id,
                        event.actor_email, event.ip, event.target, json.dumps(event.details)))

    def audit_log(self, *, limit: int, cursor: str | None = None,
                  action: AuditAction | None = None, actor_email: str | None = None,
                  since: str | None = None, until: str | None = None) -> Page[AuditEvent]:
        where, args = ["1=1"], []  # type: ignore[var-annotated]
        for clause, value in (("seq<?", _position(cursor)), ("action=?", action and action.value),
                              ("actor_email=?", actor_email), ("at>=?", since), ("at<?", until)):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self._db.execute(f"SELECT * FROM audit_log WHERE {' AND '.join(where)} "
                                "ORDER BY seq DESC LIMIT ?", (*args, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_audit(r) for r in rows], encode_cursor(rows[-1]["seq"]) if more else None)


def _audit(r: sqlite3.Row) -> AuditEvent:
    return AuditEvent(r["id"], r["at"], AuditAction(r["action"]), r["actor_id"],
                      r["actor_email"], r["ip"], r["target"], json.loads(r["details"]))



