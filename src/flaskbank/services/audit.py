"""The audit log: every staff action and security event, who, when, from where, what."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.accounts import User
from ..domain.errors import ValidationFailed
from ..domain.identity import email_key
from ..domain.ledger import new_id
from ..domain.security import AuditAction, AuditEvent, Permission
from ..store.base import Page
from .bank import Bank
from .permissions import require


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user (None before login) and the client's address."""

    user_id: str | None
    email: str
    ip: str

    @classmethod
    def of(cls, user: User | None, ip: str, email: str = "") -> Actor:
        return cls(user.id if user else None, user.email if user else email, ip)


def record(bank: Bank, actor: Actor, action: AuditAction, target: str = "", **details: str) -> None:
    # The actor's email in its key form, the form the actor filter looks for, on every store.
    bank.store.audit.append_audit(
        AuditEvent(
            new_id(),
            bank.now(),
            action,
            actor.user_id,
            email_key(actor.email),
            actor.ip,
            target,
            dict(details),
        )
    )


def audit_log(
    bank: Bank,
    viewer: User,
    *,
    limit: int = 50,
    cursor: str | None = None,
    action: object = None,
    actor_email: object = None,
    since: object = None,
    until: object = None,
) -> Page[AuditEvent]:
    """Newest first, for admins and compliance officers; filters by action, actor, days."""
    require(viewer, Permission.VIEW_AUDIT_LOG)
    from .history import day_bounds

    kind = None
    if action not in (None, ""):
        try:
            kind = AuditAction(action if isinstance(action, str) else "")
        except ValueError:
            raise ValidationFailed({"action": "not an audit action"}) from None
    start, end = day_bounds(since, until)
    who = email_key(actor_email) if isinstance(actor_email, str) and actor_email else None
    return bank.store.audit.audit_log(
        limit=limit, cursor=cursor or None, action=kind, actor_email=who, since=start, until=end
    )
