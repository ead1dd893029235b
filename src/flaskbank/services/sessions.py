"""Server-side browser sessions: the cookie carries a random id; the store keeps its hash,
the user and a little data (CSRF token, flashes, a pending login)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any

from ..domain.ledger import parse_utc_iso
from ..domain.security import WebSession
from ..retry import retrying
from .bank import Bank


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def load(bank: Bank, session_id: str | None) -> WebSession | None:
    """The live session for a cookie's id; an expired one is deleted and not returned."""
    if not session_id or len(session_id) > 100:
        return None
    found = bank.store.sessions.get_session(hash_id(session_id))
    if found is None:
        return None
    if found.expired(bank.clock(), bank.settings.sessions):
        bank.store.sessions.delete_session(found.id_hash)
        return None
    return found


def save(
    bank: Bank,
    session_id: str | None,
    user_id: str | None,
    data: dict[str, Any],
    previous: WebSession | None,
) -> str | None:
    """Write the session; returns the id for the cookie, or None when the session was ended
    meanwhile (logout, a password change elsewhere): an ended session is never written back.
    A new id is issued when there was none, or when the user changed (login, logout), so a
    planted id never gains a login."""
    if previous is None or session_id is None or previous.user_id != user_id:
        if previous is not None:
            bank.store.sessions.delete_session(previous.id_hash)
        session_id = secrets.token_urlsafe(32)
        now = bank.now()
        bank.store.sessions.add_session(WebSession(hash_id(session_id), user_id, now, now, data))
        return session_id

    def attempt(n: int) -> str | None:
        # A retry means another request of this browser saved since ours began: read the
        # session again (it may have ended meanwhile), and ours is the later word.
        current = previous if n == 0 else bank.store.sessions.get_session(previous.id_hash)
        if current is None or current.user_id != user_id:
            return None
        saved = bank.store.sessions.save_session(
            replace(current, last_seen_at=bank.now(), data=data)
        )
        return session_id if saved is not None else None

    return retrying(attempt)


def needs_touch(bank: Bank, session: WebSession) -> bool:
    """Whether last_seen is old enough to be written again (at most once a minute)."""
    every: timedelta = bank.settings.sessions.touch_every
    return bank.clock() - parse_utc_iso(session.last_seen_at) >= every


def end(bank: Bank, session: WebSession | None) -> None:
    if session is not None:
        bank.store.sessions.delete_session(session.id_hash)
