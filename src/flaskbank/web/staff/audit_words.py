"""The audit log in words: what each action is called, and what each detail means."""

from __future__ import annotations

from ...domain.security import AuditAction, AuditEvent
from ...services.approvals import ACTIONS

A = AuditAction
ACTION_NAMES: dict[AuditAction, str] = {
    A.LOGIN_SUCCEEDED: "Signed in",
    A.LOGIN_FAILED: "Failed to sign in",
    A.LOGIN_LOCKED: "Login locked after failures",
    A.LOGIN_REFUSED: "Sign-in refused on this server",
    A.LOGOUT: "Signed out",
    A.PASSWORD_CHANGED: "Changed password",
    A.EMAIL_CHANGED: "Changed email",
    A.REAUTH_FAILED: "Failed to confirm identity",
    A.TWO_FACTOR_ENABLED: "Turned on two-factor authentication",
    A.TWO_FACTOR_DISABLED: "Turned off two-factor authentication",
    A.TWO_FACTOR_FAILED: "Gave a wrong two-factor code",
    A.RECOVERY_CODE_USED: "Used a recovery code",
    A.TOKEN_CREATED: "Created an API token",
    A.TOKEN_REVOKED: "Revoked an API token",
    A.SESSIONS_REVOKED: "Ended a user's sessions",
    A.STAFF_CREATED: "Created a staff user",
    A.STAFF_REMOVED: "Removed a staff user",
    A.ROLE_CHANGED: "Changed a role",
    A.LOGIN_UNLOCKED: "Unlocked a login",
    A.CUSTOMER_VIEWED: "Viewed a customer",
    A.CUSTOMER_SEARCHED: "Searched customers",
    A.ACCOUNT_FROZEN: "Froze account",
    A.ACCOUNT_UNFROZEN: "Unfroze account",
    A.HOLD_PLACED: "Placed a hold",
    A.HOLD_RELEASED: "Released a hold",
    A.HOLD_VOIDED: "Voided a hold",
    A.ALERT_UPDATED: "Updated an alert",
    A.RULE_CHANGED: "Changed a monitoring rule",
    A.BACKTEST_STARTED: "Started a backtest",
    A.REPORT_SAVED: "Saved a report",
    A.REPORT_DELETED: "Deleted a saved report",
    A.NOTE_ADDED: "Added a note",
    A.APPROVAL_REQUESTED: "Asked for approval",
    A.APPROVAL_APPROVED: "Approved",
    A.APPROVAL_REJECTED: "Rejected",
    A.SECOND_FACTOR_RESET: "Reset second factor",
    A.ACCOUNT_OPENED: "Opened an account",
    A.MONEY_DEPOSITED: "Deposited",
    A.MONEY_WITHDRAWN: "Withdrew",
    A.MONEY_TRANSFERRED: "Transferred",
    A.PROFILE_CHANGED: "Changed profile",
    A.PASSWORD_RESET_REQUESTED: "Asked for a password reset link",
    A.EMAIL_CONFIRMED: "Confirmed an email address",
    A.ACCOUNT_CLOSED: "Closed an account",
    A.CORRECTIVE_ACTION_RECORDED: "Recorded a corrective action",
}

#: How a detail's key reads; a key not listed reads as itself, underscores as spaces.
DETAIL_NAMES = {
    "number": "Account",
    "reason": "Reason",
    "customer_message": "Customer told",
    "request": "Request",
    "requested_by": "Asked by",
    "approval": "Action",
    "subject": "On",
    "to_account": "To",
    "query": "Searched for",
    "note": "Note",
    "old": "Was",
    "new": "Now",
    "changed": "Changed",
    "history": "History of",
    "statement": "Statement",
    "finding": "Finding",
    "corrective_action": "Action taken",
}

_APPROVALS = (A.APPROVAL_REQUESTED, A.APPROVAL_APPROVED, A.APPROVAL_REJECTED)


def action_name(event: AuditEvent) -> str:
    """ "Froze account"; for an approval step, with what it was for ("Approved
    second-factor reset")."""
    name = ACTION_NAMES.get(event.action, event.action.value.replace("_", " ").capitalize())
    if event.action in _APPROVALS:
        kind = ACTIONS.get(event.details.get("approval", ""))
        noun = kind.noun if kind else event.details.get("approval", "an action")
        return f"{name} {noun}" if event.action is not A.APPROVAL_REQUESTED else f"{name}: {noun}"
    return name


def detail_name(key: str) -> str:
    return DETAIL_NAMES.get(key, key.replace("_", " ").capitalize())
