"""Emailed links, confirmed addresses, the mail outbox and known devices on SQLite (the
LinkPort and the MailPort). Writes go through database.write(), so inside a unit of work
they commit with the change they belong to."""

from __future__ import annotations

import sqlite3

from ...domain.errors import LinkNotValid, StaleRecord
from ...domain.identity import email_key
from ...domain.links import EmailLink, LinkPurpose
from ...domain.mail import MAX_ATTEMPTS, Mail
from .database import SqliteDatabase

_MAIL = "id, to_addr, subject, body, kind, created_at, next_at, attempts, sent_at, last_error"


def _mail(r: sqlite3.Row) -> Mail:
    return Mail(
        r["id"],
        r["to_addr"],
        r["subject"],
        r["body"],
        r["kind"],
        r["created_at"],
        r["next_at"],
        r["attempts"],
        r["sent_at"],
        r["last_error"],
    )


class SqliteLinks:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def add_link(self, link: EmailLink) -> None:
        with self.database.write() as db:
            # Links nobody used are of no use after they expire: tidied up as new ones come.
            db.execute("DELETE FROM email_links WHERE expires_at < ?", (link.created_at,))
            db.execute(
                "INSERT INTO email_links VALUES (?,?,?,?,?,?)",
                (
                    link.token_hash,
                    link.purpose.value,
                    link.user_id,
                    link.email,
                    link.created_at,
                    link.expires_at,
                ),
            )

    def get_link(self, token_hash: str) -> EmailLink | None:
        r = self.database.conn.execute(
            "SELECT * FROM email_links WHERE token_hash=?", (token_hash,)
        ).fetchone()
        if r is None:
            return None
        return EmailLink(
            r["token_hash"],
            LinkPurpose(r["purpose"]),
            r["user_id"],
            r["email"],
            r["created_at"],
            r["expires_at"],
        )

    def use_link(self, link: EmailLink) -> None:
        with self.database.write() as db:
            if not db.execute(
                "DELETE FROM email_links WHERE token_hash=?", (link.token_hash,)
            ).rowcount:
                raise LinkNotValid("this link was used already")

    def confirm_email(self, user_id: str, email: str, at: str) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO confirmed_emails VALUES (?,?,?) ON CONFLICT DO NOTHING",
                (user_id, email_key(email), at),
            )

    def email_confirmed_at(self, user_id: str, email: str) -> str | None:
        r = self.database.conn.execute(
            "SELECT confirmed_at FROM confirmed_emails WHERE user_id=? AND email_key=?",
            (user_id, email_key(email)),
        ).fetchone()
        return None if r is None else str(r[0])


class SqliteMail:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def queue_mail(self, mail: Mail) -> None:
        with self.database.write() as db:
            db.execute(
                f"INSERT INTO mail_outbox ({_MAIL}) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO NOTHING",
                (
                    mail.id,
                    mail.to,
                    mail.subject,
                    mail.body,
                    mail.kind,
                    mail.created_at,
                    mail.next_at,
                    mail.attempts,
                    mail.sent_at,
                    mail.last_error,
                ),
            )

    def get_mail(self, mail_id: str) -> Mail | None:
        r = self.database.conn.execute(
            f"SELECT {_MAIL} FROM mail_outbox WHERE id=?", (mail_id,)
        ).fetchone()
        return None if r is None else _mail(r)

    def due_mail(self, now: str, *, limit: int) -> list[Mail]:
        rows = self.database.conn.execute(
            f"SELECT {_MAIL} FROM mail_outbox WHERE sent_at IS NULL AND next_at <= ? "
            "AND attempts < ? ORDER BY next_at, id LIMIT ?",
            (now, MAX_ATTEMPTS, limit),
        ).fetchall()
        return [_mail(r) for r in rows]

    def mail_sent(self, mail: Mail, at: str, *, body: str) -> None:
        with self.database.write() as db:
            db.execute(
                "UPDATE mail_outbox SET sent_at=?, body=? WHERE id=? AND sent_at IS NULL",
                (at, body, mail.id),
            )

    def mail_failed(self, mail: Mail, error: str, next_at: str) -> None:
        with self.database.write() as db:
            if not db.execute(
                "UPDATE mail_outbox SET attempts=attempts+1, next_at=?, last_error=? "
                "WHERE id=? AND attempts=? AND sent_at IS NULL",
                (next_at, error, mail.id, mail.attempts),
            ).rowcount:
                raise StaleRecord("the mail was tried meanwhile")

    def devices_of(self, user_id: str) -> list[str]:
        rows = self.database.conn.execute(
            "SELECT device FROM user_devices WHERE user_id=? ORDER BY first_seen, device",
            (user_id,),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def add_device(self, user_id: str, device: str, at: str) -> None:
        with self.database.write() as db:
            db.execute(
                "INSERT INTO user_devices VALUES (?,?,?) ON CONFLICT DO NOTHING",
                (user_id, device, at),
            )
