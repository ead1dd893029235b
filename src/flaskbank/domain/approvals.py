"""Two-person approval: one staff member asks for a sensitive action on a customer, another
approves (and the action runs, once) or rejects it. Pure data and rules; the actions
themselves and who may ask or decide are in services/approvals.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from .errors import NotPermitted, ValidationFailed
from .ledger import parse_utc_iso, utc_iso

#: A request nobody decided on within this time lapses: the reason for it may be stale.
REQUEST_LIFETIME = timedelta(hours=24)
REASON_MAX = 500


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"  # nobody decided within REQUEST_LIFETIME


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    id: str
    action: str  # a key of the action registry (services/approvals.py)
    target: str  # what the action acts on: a user id or an account id, as the action says
    customer_id: str  # the customer concerned, for the customer view's link
    reason: str
    requested_by: str
    requested_by_email: str
    requested_at: str
    expires_at: str
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: str = ""
    decided_by_email: str = ""
    decided_at: str = ""
    #: Bumped by every write; a decision is conditional on the version it read, so two
    #: approvers at once cannot both run the action.
    version: int = 0
    #: What the action needs beyond its target, in the action's own terms (closing an
    #: account: the account that receives its balance, or "payout"); "" for most.
    detail: str = ""

    def expired(self, now: str) -> bool:
        return self.status is ApprovalStatus.PENDING and now >= self.expires_at

    def decided(self, status: ApprovalStatus, by: str, by_email: str, at: str) -> ApprovalRequest:
        return replace(
            self,
            status=status,
            decided_by=by,
            decided_by_email=by_email,
            decided_at=at,
            version=self.version + 1,
        )


def expiry_of(requested_at: str) -> str:
    return utc_iso(parse_utc_iso(requested_at) + REQUEST_LIFETIME)


def clean_reason(text: object) -> str:
    reason = " ".join(text.split()) if isinstance(text, str) else ""
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"give a reason (at most {REASON_MAX} characters)"})
    return reason


def check_decision(request: ApprovalRequest, decider_id: str, now: str) -> None:
    """Whether `decider_id` may decide on the request now: it is still pending, has not
    lapsed, and is someone else's."""
    if request.status is not ApprovalStatus.PENDING:
        raise ValidationFailed({"request": f"this request was {request.status.value} already"})
    if request.expired(now):
        raise ValidationFailed({"request": "this request has expired; ask again"})
    if request.requested_by == decider_id:
        raise NotPermitted("nobody approves or rejects their own request")
