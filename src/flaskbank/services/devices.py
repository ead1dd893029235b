"""The customer's own view of where they are signed in, and signing out everywhere else."""

from __future__ import annotations

from ..domain.accounts import User
from ..domain.security import AuditAction, WebSession
from .audit import Actor, record
from .bank import Bank


def live_sessions(bank: Bank, user: User) -> list[WebSession]:
    """The user's browser sessions that have not expired, most recently seen first."""
    now, policy = bank.clock(), bank.settings.sessions
    live = [
        s
        for s in bank.store.sessions.sessions_of(user.id)
        if not s.expired(now, policy) and s.data.get("stamp") == user.security_stamp
    ]
    return sorted(live, key=lambda s: s.last_seen_at, reverse=True)


def sign_out_elsewhere(bank: Bank, user: User, *, keep: str | None, ip: str) -> int:
    """End every other browser session of the user (API tokens stay: the profile lists
    and revokes those); returns how many ended. Audited."""
    ended = bank.store.sessions.delete_sessions_of(user.id, keep=keep)
    record(bank, Actor.of(user, ip), AuditAction.SESSIONS_REVOKED, user.id, sessions=str(ended))
    return ended
