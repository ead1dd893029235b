"""Security rules in the bank's words: who may do what, when a login locks, when a session
ends, and what goes into the audit log. Pure data and functions; the services apply them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .accounts import Role, User


class Permission(StrEnum):
    VIEW_CUSTOMERS = "view_customers"
    FREEZE_ACCOUNTS = "freeze_accounts"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT_LOG = "view_audit_log"
    HOLD_FUNDS = "hold_funds"  # place and lift staff holds, release or void pending transfers
    MONITOR_TRANSACTIONS = "monitor_transactions"  # alerts, rules and backtests
    VIEW_REPORTS = "view_reports"  # the analytics reports (read-only, from the warehouse)
    BUILD_REPORTS = "build_reports"  # save report parameters under a name, delete them
    #: The compliance review (large cash, structuring, KYC gaps, frozen accounts) and the
    #: corrective actions recorded against its findings.
    REVIEW_COMPLIANCE = "review_compliance"


#: The one place that says what each role may do; views ask it through `allows`.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER: frozenset(),
    Role.FRAUD_ANALYST: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.FREEZE_ACCOUNTS,
            Permission.HOLD_FUNDS,
            Permission.MONITOR_TRANSACTIONS,
        }
    ),
    Role.FINANCIAL_MANAGER: frozenset(
        {Permission.VIEW_CUSTOMERS, Permission.VIEW_REPORTS, Permission.BUILD_REPORTS}
    ),
    Role.COMPLIANCE_OFFICER: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.VIEW_AUDIT_LOG,
            Permission.VIEW_REPORTS,
            Permission.REVIEW_COMPLIANCE,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def may_sign_in(user: User, *, demo: bool) -> bool:
    """A demo-only user's password and TOTP secret are printed by every demo, so they open
    nothing but a server running as the demo. Asked at login and again for every session
    and API token, so that one begun under the demo ends when the store is served for real."""
    return demo or not user.demo_only


#: Hex digits of the User-Agent's SHA-256 that name a device: enough that two browsers
#: rarely share one, short enough to keep in every profile.
DEVICE_DIGITS = 16


def device_of(user_agent: str) -> str:
    """A short stable name for the device a login came from, so that monitoring can see a
    new one: the same User-Agent always gives the same name; none gives "" (unknown). The
    header is the client's to choose, so this is a hint for scoring, never a credential."""
    if not user_agent:
        return ""
    return "ua-" + hashlib.sha256(user_agent.encode("utf-8", "replace")).hexdigest()[:DEVICE_DIGITS]


@dataclass(frozen=True)
class LockoutPolicy:
    """After `threshold` failed logins in a row the email is locked; each further failure
    doubles the lock, up to `max_lock`."""

    threshold: int = 5
    base_lock: timedelta = timedelta(minutes=1)
    max_lock: timedelta = timedelta(hours=24)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.threshold:
            return None
        doublings = min(failures - self.threshold, 20)
        return min(self.base_lock * (1 << doublings), self.max_lock)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=12)
    #: last_seen is written at most this often, so that reading pages is not a write each.
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    failures: int = 0
    locked_until: str | None = None  # ISO 8601 UTC


@dataclass(frozen=True, slots=True)
class WebSession:
    """A browser session. The cookie holds a random id; the store keeps only its hash."""

    id_hash: str
    user_id: str | None
    created_at: str
    last_seen_at: str
    data: dict[str, Any] = field(default_factory=dict)
    #: Bumped by every save; a save is conditional on it, and an ended session stays ended.
    version: int = 0

    def expired(self, now: datetime, policy: SessionPolicy) -> bool:
        from .ledger import parse_utc_iso

        return (
            now - parse_utc_iso(self.last_seen_at) > policy.idle
            or now - parse_utc_iso(self.created_at) > policy.absolute
        )


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token as the bank keeps it: only its hash, and the user's security stamp at
    the time it was issued (a new stamp ends it)."""

    token_hash: str
    user_id: str
    created_at: str
    expires_at: str
    revoked: bool = False
    stamp: str = ""


class AuditAction(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGIN_REFUSED = "login_refused"  # right credentials, but not on this server (demo-only)
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # by the customer or by staff
    EMAIL_CHANGED = "email_changed"
    EMAIL_CONFIRMED = "email_confirmed"
    REAUTH_FAILED = "reauth_failed"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    TWO_FACTOR_FAILED = "two_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    SESSIONS_REVOKED = "sessions_revoked"
    STAFF_CREATED = "staff_created"
    STAFF_REMOVED = "staff_removed"
    ROLE_CHANGED = "role_changed"
    LOGIN_UNLOCKED = "login_unlocked"
    CUSTOMER_VIEWED = "customer_viewed"
    CUSTOMER_SEARCHED = "customer_searched"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_UNFROZEN = "account_unfrozen"
    ACCOUNT_CLOSED = "account_closed"
    HOLD_PLACED = "hold_placed"
    HOLD_RELEASED = "hold_released"
    HOLD_VOIDED = "hold_voided"
    ALERT_UPDATED = "alert_updated"
    RULE_CHANGED = "rule_changed"
    BACKTEST_STARTED = "backtest_started"
    REPORT_SAVED = "report_saved"
    REPORT_DELETED = "report_deleted"
    NOTE_ADDED = "note_added"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_APPROVED = "approval_approved"
    APPROVAL_REJECTED = "approval_rejected"
    SECOND_FACTOR_RESET = "second_factor_reset"  # by staff, once a second person approved
    CORRECTIVE_ACTION_RECORDED = "corrective_action_recorded"  # against a compliance finding
    # Customers' own activity, copied from the event feed (services/audit_trail.py).
    ACCOUNT_OPENED = "account_opened"
    MONEY_DEPOSITED = "money_deposited"
    MONEY_WITHDRAWN = "money_withdrawn"
    MONEY_TRANSFERRED = "money_transferred"
    PROFILE_CHANGED = "profile_changed"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the append-only audit log: who did what, when, from where."""

    id: str
    at: str
    action: AuditAction
    actor_id: str | None
    actor_email: str
    ip: str
    target: str = ""
    details: dict[str, str] = field(default_factory=dict)
