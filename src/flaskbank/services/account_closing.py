"""Closing a customer's account that holds money, a two-person approval action: one member of
staff asks (naming where the balance goes), another approves, and in that one unit of work
the whole balance moves to the customer's other open account, or is paid out by cheque
(a withdrawal against the bank's cash), and the account is closed.

The request's `detail` names the destination: another open account of the same customer
in the same currency (its id), or PAYOUT. Everything is judged again at approval on the
accounts as they are then, and the store closes the account in the posting's own write
(ledger.Closing), so money arriving in between is never shut in.
"""

from __future__ import annotations

from dataclasses import replace

from ..domain import ledger
from ..domain.accounts import CLOSED_BY_THE_BANK, Account, AccountStatus, format_account_number
from ..domain.approvals import ApprovalRequest
from ..domain.errors import AccountNotEmpty, AccountNotFound, Refusal, ValidationFailed
from ..domain.events import EventKind
from ..domain.ledger import Closing, Posting
from ..domain.security import AuditAction, Permission
from .approval_actions import ApprovalAction
from .audit import Actor, record
from .bank import Bank
from .events import emit

PAYOUT = "payout"


def closable(bank: Bank, account_id: str) -> Account:
    """The account, if staff may close it now: open, not overdrawn, nothing held (a hold
    is money the bank has not decided on yet: decide on it first)."""
    account = bank.store.ledger.get_account(account_id)
    if account is None:
        raise AccountNotFound("no such account")
    if account.status is AccountStatus.CLOSED:
        raise ValidationFailed({"target": "this account is closed already"})
    if account.status is not AccountStatus.OPEN:
        raise ValidationFailed({"target": "this account is frozen; it must be unfrozen first"})
    if account.balance.is_negative():
        raise ValidationFailed({"target": "this account is overdrawn; it cannot be closed"})
    if account.available != account.balance:
        raise ValidationFailed(
            {"target": "money on this account is held; release or void the holds first"}
        )
    return account


def destinations(bank: Bank, account: Account) -> list[Account]:
    """The accounts its balance may move to: the owner's other open ones in its currency."""
    return [
        other
        for other in bank.store.ledger.accounts_of(account.user_id)
        if other.id != account.id and other.is_open and other.currency == account.currency
    ]


def _owner(bank: Bank, account_id: str) -> str:
    return closable(bank, account_id).user_id


def _destination(bank: Bank, account_id: str, detail: object) -> str:
    """PAYOUT, or the id of the account that receives the balance. Left blank, the balance
    is paid out when the customer has no other account to take it, and refused otherwise
    (staff choose: the customer may want either)."""
    account = closable(bank, account_id)
    choice = detail.strip() if isinstance(detail, str) else ""
    others = destinations(bank, account)
    if choice == PAYOUT or (not choice and not others):
        return PAYOUT
    if not choice:
        raise ValidationFailed(
            {"detail": "choose the customer's account that receives the balance, or payout"}
        )
    if choice not in {other.id for other in others}:
        raise ValidationFailed(
            {
                "detail": "choose another open account of this customer in "
                f"{account.currency}, or payout"
            }
        )
    return choice


def _moving(bank: Bank, account: Account, detail: str, by: str) -> Posting:
    """The posting that empties the account into `detail` (judged again now). It names the
    account it closes, so that its event says the bank made it (replays skip scoring it,
    as the live path never scored it)."""
    return replace(_emptying(bank, account, detail, by), closes=account.id)


def _emptying(bank: Bank, account: Account, detail: str, by: str) -> Posting:
    memo = f"Closing balance of account {format_account_number(account.number)}"
    if detail == PAYOUT:
        return ledger.withdrawal(
            account, account.balance, memo=f"{memo}, paid out by cheque", at=bank.now(), by=by
        )
    target = bank.store.ledger.get_account(detail)
    if target is None or target.id not in {other.id for other in destinations(bank, account)}:
        raise ValidationFailed({"detail": "the account chosen for the balance is not open"})
    return ledger.transfer(
        account,
        target,
        account.balance,
        memo=memo,
        at=bank.now(),
        by=by,
        source_label=_label(target),
        target_label=_label(account),
    )


def _label(account: Account) -> str:
    return f"{account.nickname or account.owner_name} · {format_account_number(account.number)}"


def _close(bank: Bank, request: ApprovalRequest, actor: Actor) -> None:
    account = closable(bank, request.target)  # as it is now, or the approval fails
    closing = Closing(account.id, CLOSED_BY_THE_BANK)
    moved = None
    try:
        if not account.balance.is_positive():  # nothing to move: closing alone
            bank.store.ledger.close_account(account.id, CLOSED_BY_THE_BANK)
        else:
            posting = _moving(bank, account, request.detail, request.decided_by)
            moved = bank.store.ledger.post(posting, closing=closing).transaction
    except (Refusal, AccountNotEmpty) as refused:
        # The account changed since it was judged (closed by a second approver at once,
        # money held): a refusal of the request, which approvals._execute explains.
        raise ValidationFailed({"target": refused.message}) from refused
    record(
        bank,
        actor,
        AuditAction.ACCOUNT_CLOSED,
        account.id,
        number=account.number,
        balance=str(account.balance),
        to="" if moved is None else request.detail,
        transaction="" if moved is None else moved.id,
        reason=request.reason,
        request=request.id,
        requested_by=request.requested_by_email,
    )
    emit(
        bank,
        EventKind.ACCOUNT_STATUS_CHANGED,
        account.id,
        actor,
        status=AccountStatus.CLOSED.value,
        reason=CLOSED_BY_THE_BANK,
    )


CLOSE_ACCOUNT = ApprovalAction(
    name="close_account",
    title="Close account and pay out its balance",
    noun="account closing",
    target_kind="account",
    # Whoever took the customer's instruction asks; someone who may move held money
    # (fraud analysts, admins) approves.
    request_permission=Permission.VIEW_CUSTOMERS,
    approve_permission=Permission.HOLD_FUNDS,
    check=_owner,
    execute=_close,
    clean_detail=_destination,
)
