"""Opening and reading accounts. Every read checks the owner: another customer's account is
reported as not found, so that account ids cannot be probed."""

from __future__ import annotations

from dataclasses import replace

from ..domain.accounts import (
    NICKNAME_MAX,
    Account,
    AccountStatus,
    AccountType,
    account_id_for,
    new_account_number,
)
from ..domain.errors import AccountNotFound, NotPermitted, ValidationFailed
from ..domain.events import EventKind
from ..domain.money import MINOR_UNITS, Money
from ..domain.payees import clean_nickname
from ..domain.security import AuditAction
from .audit import Actor, record
from .bank import Bank
from .events import emit


def open_account(bank: Bank, user_id: str, *, type: object, currency: object = None) -> Account:
    try:
        kind = AccountType(type if isinstance(type, str) else "")
    except ValueError:
        raise ValidationFailed({"type": "choose checking or savings"}) from None
    cur = bank.settings.default_currency if currency in (None, "") else currency
    if not isinstance(cur, str) or cur not in MINOR_UNITS:
        raise ValidationFailed({"currency": f"choose one of {', '.join(sorted(MINOR_UNITS))}"})

    # A clash of random 11-digit numbers is rare, and so is a rename racing this: both are
    # a WriteConflict, and the unit runs again with a new number and a fresh read.
    def attempt() -> Account:
        owner = bank.store.users.get_user(user_id)
        if owner is None:
            raise AccountNotFound("no such customer")
        if owner.is_staff:
            raise NotPermitted("staff logins hold no accounts; a customer login opens them")
        number = new_account_number()
        account = Account(
            id=account_id_for(number),
            number=number,
            user_id=user_id,
            type=kind,
            currency=cur,
            balance=Money.zero(cur),
            status=AccountStatus.OPEN,
            opened_at=bank.now(),
            owner_name=owner.full_name,
        )
        bank.store.ledger.add_account(account, max_open=bank.settings.max_open_accounts)
        emit(
            bank,
            EventKind.ACCOUNT_OPENED,
            account.id,
            user_id,
            user_id=user_id,
            number=account.number,
            type=account.type.value,
            currency=account.currency,
        )
        return account

    return bank.in_unit(attempt)


def accounts_of(bank: Bank, user_id: str) -> list[Account]:
    return bank.store.ledger.accounts_of(user_id)


def account_of(bank: Bank, user_id: str, account_id: object) -> Account:
    """The caller's own account, or AccountNotFound (also for someone else's)."""
    account = bank.store.ledger.get_account(account_id) if isinstance(account_id, str) else None
    return owned(account, user_id)


def owned(account: Account | None, user_id: str) -> Account:
    """`account` if it exists and is the user's, else AccountNotFound: another customer's
    account is reported as not found, so that account ids cannot be probed."""
    if account is None or account.user_id != user_id:
        raise AccountNotFound("no such account")
    return account


def rename_account(bank: Bank, user_id: str, account_id: object, nickname: object) -> Account:
    """Give one's account a nickname (shown on the dashboard, history and statements); an
    empty one removes it."""
    account = account_of(bank, user_id, account_id)
    name = (
        ""
        if nickname is None or (isinstance(nickname, str) and not nickname.strip())
        else clean_nickname(nickname, most=NICKNAME_MAX)
    )
    bank.store.ledger.rename_account(account.id, name)
    return replace(account, nickname=name)


def choose_primary(bank: Bank, user_id: str, account_id: object) -> Account:
    """Choose the account that money sent to one's email lands in (domain.recipients)."""
    account = account_of(bank, user_id, account_id)
    if not account.is_open:
        raise ValidationFailed({"account": "only an open account can receive money"})
    bank.store.ledger.choose_primary(user_id, account.id)
    return replace(account, primary=True)


def close_account(bank: Bank, actor: Actor, account_id: object) -> Account:
    """Close one's own account, once its balance and holds are zero (AccountNotEmpty:
    move the money out first). Its history and statements stay readable; nothing can be
    posted to it again. Audited, and published on the event feed, with the change."""
    user_id = actor.user_id or ""
    account = account_of(bank, user_id, account_id)

    def apply() -> None:
        bank.store.ledger.close_account(account.id, "closed by the customer")
        record(bank, actor, AuditAction.ACCOUNT_CLOSED, account.id, number=account.number)
        emit(
            bank,
            EventKind.ACCOUNT_STATUS_CHANGED,
            account.id,
            actor,
            status=AccountStatus.CLOSED.value,
            reason="closed by the customer",
        )

    bank.in_unit(apply)
    return replace(
        account, status=AccountStatus.CLOSED, status_reason="closed by the customer", primary=False
    )
