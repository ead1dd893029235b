"""Opening and reading accounts. Every read checks the owner: another customer's account is
reported as not found, so that account ids cannot be probed."""

from __future__ import annotations

from ..domain.accounts import (
    Account,
    AccountStatus,
    AccountType,
    account_id_for,
    new_account_number,
)
from ..domain.errors import AccountNotFound, NotPermitted, ValidationFailed
from ..domain.events import EventKind
from ..domain.money import MINOR_UNITS, Money
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
        bank.store.ledger.add_account(account)
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
