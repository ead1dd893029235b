"""Holds: staff place and lift them; a transfer that needs review waits on one until staff
release it (it is posted) or void it (nothing moves); the customer may cancel their own
pending transfer; the worker expires what is past its deadline. Each resolution happens
once: whoever comes second gets HoldNotOpen (409). Each writes its event with it
(domain.events.hold_placed, hold_resolved): in its unit of work, or for a release that
posts, in the posting's own write."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from ..domain import holds
from ..domain.accounts import Account, User
from ..domain.errors import (
    AccountNotFound,
    HoldNotFound,
    HoldNotOpen,
    NotPermitted,
    ValidationFailed,
)
from ..domain.events import hold_placed, hold_resolved
from ..domain.holds import Hold, HoldKind, HoldStatus
from ..domain.ledger import PostResult, utc_iso
from ..domain.money import parse_amount
from ..domain.security import AuditAction, Permission
from .accounts import owned
from .audit import Actor, record
from .bank import Bank
from .permissions import require

SYSTEM = "system"


def place_staff_hold(
    bank: Bank,
    staff: User,
    account_id: str,
    *,
    amount: object,
    reason: object,
    expires_at: object = None,
    actor: Actor,
) -> Hold:
    """Reserve part of a customer's balance (legal, garnishment), with a reason and an
    optional deadline; refused like a debit when the available balance cannot cover it."""
    require(staff, Permission.HOLD_FUNDS)
    account = _account(bank, account_id)
    money = parse_amount(amount, account.currency)
    text = holds.clean_reason(reason)
    deadline = _deadline(expires_at)

    def place() -> Hold:
        hold = holds.staff_hold(
            account, money, reason=text, by=staff.id, at=bank.now(), expires_at=deadline
        )
        bank.store.holds.place(hold)
        bank.store.events.append(hold_placed(hold))
        record(
            bank,
            actor,
            AuditAction.HOLD_PLACED,
            account.id,
            hold=hold.id,
            amount=str(money),
            reason=text,
        )
        return hold

    return bank.in_unit(place)


def release(bank: Bank, staff: User, account_id: str, hold_id: str, actor: Actor) -> Hold:
    """Lift a staff hold, or post a pending transfer as it was reviewed."""
    require(staff, Permission.HOLD_FUNDS)
    hold = _hold(bank, account_id, hold_id)
    at = bank.now()
    done = hold.resolved(HoldStatus.RELEASED, staff.id, at)
    posting = hold.release_posting(at)
    if posting is None:

        def lift() -> Hold:
            lifted = _resolve(bank, hold, HoldStatus.RELEASED, by=staff.id)
            record(bank, actor, AuditAction.HOLD_RELEASED, account_id, hold=hold.id)
            return lifted

        return bank.in_unit(lift)
    if not hold.is_open:
        raise HoldNotOpen("the hold was already resolved")
    result: PostResult = bank.store.ledger.post(posting, releasing=done)
    record(
        bank,
        actor,
        AuditAction.HOLD_RELEASED,
        account_id,
        hold=hold.id,
        transaction=result.transaction.id,
    )
    return done


def release_by_id(bank: Bank, staff: User, hold_id: str, actor: Actor) -> Hold:
    """`release`, for staff who know the hold (from an alert) and not its account."""
    return release(bank, staff, _found(bank, staff, hold_id).account_id, hold_id, actor)


def void_by_id(bank: Bank, staff: User, hold_id: str, actor: Actor) -> Hold:
    return void(bank, staff, _found(bank, staff, hold_id).account_id, hold_id, actor)


def _found(bank: Bank, staff: User, hold_id: str) -> Hold:
    require(staff, Permission.HOLD_FUNDS)
    hold = bank.store.holds.find(hold_id)
    if hold is None:
        raise HoldNotFound("no such hold")
    return hold


def void(bank: Bank, staff: User, account_id: str, hold_id: str, actor: Actor) -> Hold:
    """Drop the reservation; a pending transfer is not sent."""
    require(staff, Permission.HOLD_FUNDS)
    hold = _hold(bank, account_id, hold_id)

    def drop() -> Hold:
        done = _resolve(bank, hold, HoldStatus.VOIDED, by=staff.id)
        record(bank, actor, AuditAction.HOLD_VOIDED, account_id, hold=hold.id)
        return done

    return bank.in_unit(drop)


def cancel_pending_transfer(bank: Bank, user_id: str, account_id: str, hold_id: str) -> Hold:
    """The customer withdraws their own transfer while it waits for review. A staff hold
    is the bank's to lift, not the customer's."""
    owned(bank.store.ledger.get_account(account_id), user_id)
    hold = _hold(bank, account_id, hold_id)
    if hold.kind is not HoldKind.PENDING_TRANSFER:
        raise NotPermitted("only the bank can lift this hold")
    return bank.in_unit(lambda: _resolve(bank, hold, HoldStatus.VOIDED, by=user_id))


def account_holds(bank: Bank, staff: User, account_id: str) -> list[Hold]:
    """Every hold of any customer's account, newest first (staff who view customers)."""
    require(staff, Permission.VIEW_CUSTOMERS)
    return bank.store.holds.holds_of(_account(bank, account_id).id)


def hold_of(bank: Bank, user_id: str, account_id: str, hold_id: str) -> Hold:
    """One hold on the customer's own account (404 for anyone else's)."""
    owned(bank.store.ledger.get_account(account_id), user_id)
    return _hold(bank, account_id, hold_id)


def holds_of(bank: Bank, user_id: str, account_id: str, *, open_only: bool = False) -> list[Hold]:
    """The customer's own account's holds, newest first (404 for anyone else's account)."""
    owned(bank.store.ledger.get_account(account_id), user_id)
    return bank.store.holds.holds_of(account_id, open_only=open_only)


def expire_due(bank: Bank, *, limit: int = 100) -> int:
    """Apply each due hold's expiry policy (domain.holds.EXPIRY_POLICY: nothing is posted).
    Safe to run anywhere, any number of times: a hold someone resolved meanwhile is left."""
    expired = 0
    for hold in bank.store.holds.due(bank.now(), limit=limit):
        try:
            bank.in_unit(functools.partial(_resolve, bank, hold, HoldStatus.EXPIRED, by=SYSTEM))
        except HoldNotOpen:
            continue
        expired += 1
    return expired


def _resolve(bank: Bank, hold: Hold, status: HoldStatus, *, by: str) -> Hold:
    """Resolve the hold and write its event, in the unit of work open on the thread."""
    done = bank.store.holds.resolve(hold, status, by=by, at=bank.now())
    bank.store.events.append(hold_resolved(done))
    return done


def _account(bank: Bank, account_id: str) -> Account:
    account = bank.store.ledger.get_account(account_id)
    if account is None:
        raise AccountNotFound("no such account")
    return account


def _hold(bank: Bank, account_id: str, hold_id: str) -> Hold:
    hold = bank.store.holds.get(account_id, hold_id)
    if hold is None:
        raise HoldNotFound("no such hold on this account")
    return hold


def _deadline(expires_at: object) -> str | None:
    if expires_at in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(expires_at).strip().replace("Z", "+00:00"))
        return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError):  # OverflowError: the year 9999 in a zone behind UTC
        raise ValidationFailed(
            {"expires_at": "give a date and time like 2026-12-31T17:00:00Z"}
        ) from None
