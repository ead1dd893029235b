"""The users port on SQLite: profiles (each write conditional on the version read), the
staff lookups, and the atomic two-factor steps."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from ...domain.accounts import USER_FIELDS, User
from ...domain.digits import ASCII_DIGITS
from ...domain.errors import (
    AccountNotFound,
    EmailTaken,
    NotPermitted,
    StaleRecord,
)
from ...domain.identity import email_key
from ...domain.personal import search_digits
from ..base import Page
from ..cursors import encode_cursor
from .database import SqliteDatabase
from .rows import (
    row_position,
    row_to_user,
    user_columns,
    user_row,
)

#: A name's last word, lower-cased: rtrim drops the trailing characters that are not spaces,
#: which leaves everything up to the last space, and replace takes that off the front.
_SURNAME = (
    "replace(lower(full_name), rtrim(lower(full_name), replace(lower(full_name), ' ', '')), '')"
)


class SqliteUsers:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_user(self, user: User) -> None:
        try:
            with self.database.write() as db:
                row = user_row(user)
                db.execute(
                    f"INSERT INTO users ({','.join(row)}) "
                    f"VALUES ({','.join(':' + k for k in row)})",
                    row,
                )
        except sqlite3.IntegrityError as e:
            raise EmailTaken("that email is already registered") from e

    def get_user(self, user_id: str) -> User | None:
        row = self.database.conn.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        return row_to_user(row) if row else None

    def find_user_by_email(self, email: str) -> User | None:
        row = self.database.conn.execute(
            "SELECT * FROM users WHERE email_key=?", (email_key(email),)
        ).fetchone()
        return row_to_user(row) if row else None

    def update_user(self, user_id: str, *, version: int, changes: Mapping[str, object]) -> User:
        unknown = set(changes) - USER_FIELDS
        if unknown or not changes:
            raise ValueError(f"update_user cannot change {sorted(unknown) or 'nothing'}")
        row = user_columns(changes)
        sets = ",".join(f"{k}=:{k}" for k in row)
        try:
            with self.database.write() as db:
                found = db.execute(
                    f"UPDATE users SET {sets}, version=version+1 "
                    "WHERE id=:user_id AND version=:version RETURNING *",
                    {**row, "user_id": user_id, "version": version},
                ).fetchone()
                if found is None:
                    if db.execute("SELECT 1 FROM users WHERE id=?", (user_id,)).fetchone():
                        raise StaleRecord("the user changed meanwhile; read it again")
                    raise AccountNotFound("no such user")
                return row_to_user(found)
        except sqlite3.IntegrityError as e:
            raise EmailTaken("that email is already registered") from e

    def remove_user(self, user_id: str, *, version: int) -> None:
        with self.database.write() as db:
            found = db.execute("SELECT version FROM users WHERE id=?", (user_id,)).fetchone()
            if found is None:
                raise AccountNotFound("no such user")
            if found["version"] != version:
                raise StaleRecord("the user changed meanwhile; read it again")
            if db.execute("SELECT 1 FROM accounts WHERE user_id=? LIMIT 1", (user_id,)).fetchone():
                raise NotPermitted("a user who holds accounts is never removed")
            # Their sessions, tokens and saved payees name them (foreign keys): they go first.
            db.execute("DELETE FROM payees WHERE user_id=?", (user_id,))
            db.execute("DELETE FROM web_sessions WHERE user_id=?", (user_id,))
            db.execute("DELETE FROM api_tokens WHERE user_id=?", (user_id,))
            db.execute("DELETE FROM users WHERE id=?", (user_id,))

    def count_users(self) -> int:
        return int(self.database.conn.execute("SELECT count(*) FROM users").fetchone()[0])

    def record_totp_step(self, user_id: str, step: int) -> bool:
        with self.database.write() as db:
            return (
                db.execute(
                    "UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step<?",
                    (step, user_id, step),
                ).rowcount
                == 1
            )

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        with self.database.write() as db:
            row = db.execute("SELECT recovery_codes FROM users WHERE id=?", (user_id,)).fetchone()
            codes = json.loads(row["recovery_codes"]) if row else []
            if code_hash not in codes:
                return False
            codes.remove(code_hash)
            db.execute("UPDATE users SET recovery_codes=? WHERE id=?", (json.dumps(codes), user_id))
            return True

    def search_users(self, text: str, *, limit: int) -> list[User]:
        """Prefixes of the name, of its last word (as DynamoDB's by_surname) and of the
        email, the owner of an account number, and whoever's phone number ends with the
        digits typed (personal.search_digits, as DynamoDB's by_phone)."""
        digits = "".join(c for c in text if c in ASCII_DIGITS)
        phone = search_digits(text)
        prefix = email_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.database.conn.execute(
            "SELECT * FROM users WHERE email_key LIKE :p ESCAPE '\\' "
            f"OR lower(full_name) LIKE :p ESCAPE '\\' OR {_SURNAME} LIKE :p ESCAPE '\\' "
            "OR id IN (SELECT user_id FROM accounts WHERE number=:n) "
            "OR (:tail IS NOT NULL AND phone<>'' AND substr(phone, -length(:tail))=:tail) "
            "ORDER BY lower(full_name), email_key LIMIT :limit",
            {"p": prefix + "%", "n": digits, "tail": phone, "limit": limit},
        ).fetchall()
        return [row_to_user(r) for r in rows]

    def list_users(self, *, limit: int, cursor: str | None = None) -> Page[User]:
        after = row_position(cursor) or 0
        rows = self.database.conn.execute(
            "SELECT rowid, * FROM users WHERE rowid>? ORDER BY rowid LIMIT ?", (after, limit + 1)
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            [row_to_user(r) for r in rows], encode_cursor(rows[-1]["rowid"]) if more else None
        )
