"""Holds: an amount of an account reserved, so that it cannot be spent while it is held.

available = balance - (the sum of the account's open holds). A hold is placed (only when
the account could pay it, by the debit rule of domain.chart), then resolved exactly once:

- released: a pending transfer is posted; a staff hold is lifted;
- voided: the reservation is dropped and nothing is posted;
- expired: its deadline passed, and its kind's expiry policy applied (below).

Kinds:
- pending transfer: a customer's transfer waiting for review. The hold carries the posting
  that a release makes (legs, memo, who asked), so that what is posted is exactly what was
  reviewed.
- staff hold: legal or garnishment, placed by a fraud analyst or admin with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from .accounts import Account
from .chart import check_debit, standing_of
from .errors import InvalidAmount, ValidationFailed
from .ledger import Leg, Posting, new_id, parse_utc_iso, utc_iso
from .money import Money


class HoldKind(StrEnum):
    PENDING_TRANSFER = "pending_transfer"
    STAFF = "staff"


class HoldStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    VOIDED = "voided"
    EXPIRED = "expired"


#: What the deadline does to each kind. A transfer nobody reviewed in time is not sent (the
#: money stays with the customer); a staff hold past its date stops holding. Either way
#: nothing is posted, so expiry never moves money on its own.
EXPIRY_POLICY = {
    HoldKind.PENDING_TRANSFER: "not sent: the reservation is dropped",
    HoldKind.STAFF: "lifted: the reservation is dropped",
}

REASON_MAX = 200


@dataclass(frozen=True, slots=True)
class Hold:
    id: str
    account_id: str
    kind: HoldKind
    amount: Money
    reason: str
    placed_by: str
    placed_at: str
    expires_at: str | None = None
    status: HoldStatus = HoldStatus.OPEN
    resolved_by: str | None = None
    resolved_at: str | None = None
    #: A pending transfer's posting, made on release (its id is the transaction's id).
    posting: Posting | None = None
    #: The transaction a release posted.
    transaction_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is HoldStatus.OPEN

    def is_due(self, now: str) -> bool:
        return self.is_open and self.expires_at is not None and self.expires_at <= now

    def resolved(self, status: HoldStatus, by: str, at: str) -> Hold:
        posted = status is HoldStatus.RELEASED and self.posting is not None
        return replace(
            self,
            status=status,
            resolved_by=by,
            resolved_at=at,
            transaction_id=self.posting.id if posted and self.posting else None,
        )

    def release_posting(self, at: str) -> Posting | None:
        """What a release posts: the reviewed transfer, dated now (None for a staff hold)."""
        return None if self.posting is None else replace(self.posting, created_at=at)


def clean_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationFailed({"reason": "say why the hold is placed"})
    if len(text) > REASON_MAX:
        raise ValidationFailed({"reason": f"at most {REASON_MAX} characters"})
    return text


def deadline(at: str, hours: float) -> str:
    return utc_iso(parse_utc_iso(at) + timedelta(hours=hours))


def staff_hold(
    account: Account, amount: Money, *, reason: str, by: str, at: str, expires_at: str | None
) -> Hold:
    """Reserve `amount` of the account (the store re-checks the debit rule at commit)."""
    if amount.currency != account.currency:
        raise InvalidAmount(f"account {account.number} holds {account.currency}")
    check_debit(standing_of(account), amount)
    if expires_at is not None and expires_at <= at:
        raise ValidationFailed({"expires_at": "the expiry must be in the future"})
    return Hold(new_id(), account.id, HoldKind.STAFF, amount, reason, by, at, expires_at)


def pending_transfer(posting: Posting, *, source: Account, at: str, expires_at: str) -> Hold:
    """Hold the transfer's amount on the source account until someone reviews it. The
    posting was built by ledger.transfer, which checked both sides."""
    debit: Leg = next(leg for leg in posting.legs if leg.account_id == source.id)
    return Hold(
        new_id(),
        source.id,
        HoldKind.PENDING_TRANSFER,
        -debit.amount,
        "transfer waiting for review",
        posting.initiated_by,
        at,
        expires_at,
        posting=posting,
    )
