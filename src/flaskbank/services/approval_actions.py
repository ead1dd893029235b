"""The actions that need a second person's approval, each as a registry entry: who may ask,
who may approve, which customer it concerns, and what it does once approved.

An action's `execute` runs inside the unit of work that records the approval, so that the
decision and its effect land together or not at all (and, the decision being conditional on
the request's version, at most once). `after` runs once that has committed, for tidying up
that is safe to repeat. More actions plug in with approvals.register_action (closing an
account that holds money: services/account_closing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..domain.accounts import Account, AccountStatus
from ..domain.approvals import ApprovalRequest
from ..domain.errors import AccountNotFound, ValidationFailed
from ..domain.events import EventKind
from ..domain.security import AuditAction, Permission
from .audit import Actor, record
from .bank import Bank
from .customers import end_other_ways_in, new_stamp
from .events import emit
from .notes import customer_of
from .recovery import reset_on_behalf


@dataclass(frozen=True)
class ApprovalAction:
    name: str  # the key requests carry; stable across releases
    title: str  # what staff read: "Reset second factor"
    noun: str  # for the audit log: "Approved second-factor reset"
    target_kind: str  # "customer" or "account": what `target` names
    request_permission: Permission
    approve_permission: Permission
    #: The customer the target belongs to (AccountNotFound when there is no such target),
    #: checked when the request is made; ValidationFailed when the action makes no sense.
    check: Callable[[Bank, str], str]
    execute: Callable[[Bank, ApprovalRequest, Actor], None]
    after: Callable[[Bank, ApprovalRequest], None] | None = None
    #: What the action needs beyond its target (ApprovalRequest.detail), cleaned from what
    #: staff gave for the target; None for an action that needs nothing more.
    clean_detail: Callable[[Bank, str, object], str] | None = None


def _customer_with_second_factor(bank: Bank, user_id: str) -> str:
    customer = customer_of(bank, user_id)
    if not customer.has_two_factor:
        raise ValidationFailed({"target": "this customer has no second factor to reset"})
    return customer.id


def _reset_second_factor(bank: Bank, request: ApprovalRequest, actor: Actor) -> None:
    """No TOTP secret, no recovery codes, a new security stamp (every session and API token
    ends): the customer signs in with their password and enrols again."""
    user = customer_of(bank, request.target)
    bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={
            "totp_secret": None,
            "totp_last_step": 0,
            "recovery_codes": (),
            "security_stamp": new_stamp(),
        },
    )
    record(bank, actor, AuditAction.SECOND_FACTOR_RESET, user.id, request=request.id)
    emit(bank, EventKind.TWO_FACTOR_DISABLED, user.id, actor, by="staff", request=request.id)


def _end_sessions(bank: Bank, request: ApprovalRequest) -> None:
    end_other_ways_in(bank, request.target)


def _frozen_account(bank: Bank, account_id: str) -> Account:
    account = bank.store.ledger.get_account(account_id)
    if account is None:
        raise AccountNotFound("no such account")
    if account.status is not AccountStatus.FROZEN:
        raise ValidationFailed({"target": "this account is not frozen"})
    return account


def _frozen_account_owner(bank: Bank, account_id: str) -> str:
    return _frozen_account(bank, account_id).user_id


def _unfreeze(bank: Bank, request: ApprovalRequest, actor: Actor) -> None:
    account = _frozen_account(bank, request.target)  # still frozen, or the approval fails
    bank.store.ledger.set_account_status(account.id, AccountStatus.OPEN, "")
    record(
        bank,
        actor,
        AuditAction.ACCOUNT_UNFROZEN,
        account.id,
        number=account.number,
        reason=request.reason,
        request=request.id,
        requested_by=request.requested_by_email,
    )
    emit(
        bank,
        EventKind.ACCOUNT_STATUS_CHANGED,
        account.id,
        actor,
        status=AccountStatus.OPEN.value,
        reason=request.reason,
    )


RESET_SECOND_FACTOR = ApprovalAction(
    name="reset_second_factor",
    title="Reset second factor",
    noun="second-factor reset",
    target_kind="customer",
    # Whoever checked the caller's identity asks; an admin approves.
    request_permission=Permission.VIEW_CUSTOMERS,
    approve_permission=Permission.MANAGE_USERS,
    check=_customer_with_second_factor,
    execute=_reset_second_factor,
    after=_end_sessions,
)

UNFREEZE_ACCOUNT = ApprovalAction(
    name="unfreeze_account",
    title="Unfreeze account",
    noun="unfreezing",
    target_kind="account",
    request_permission=Permission.FREEZE_ACCOUNTS,
    approve_permission=Permission.FREEZE_ACCOUNTS,
    check=_frozen_account_owner,
    execute=_unfreeze,
)


def _customer_who_signs_in(bank: Bank, user_id: str) -> str:
    customer = customer_of(bank, user_id)
    if customer.demo_only:
        raise AccountNotFound("no such customer")
    return customer.id


def _send_password_reset(bank: Bank, request: ApprovalRequest, actor: Actor) -> None:
    """The link goes to the address on file, never to one staff type in: a caller who
    talked staff into it still needs the customer's mailbox."""
    reset_on_behalf(bank, customer_of(bank, request.target), by=actor, request=request.id)


SEND_PASSWORD_RESET = ApprovalAction(
    name="send_password_reset",
    title="Send password reset link",
    noun="password reset link",
    target_kind="customer",
    request_permission=Permission.VIEW_CUSTOMERS,
    approve_permission=Permission.MANAGE_USERS,
    check=_customer_who_signs_in,
    execute=_send_password_reset,
)

BUILT_IN = (RESET_SECOND_FACTOR, UNFREEZE_ACCOUNT, SEND_PASSWORD_RESET)
