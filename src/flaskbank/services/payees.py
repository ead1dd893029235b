"""Saved payees: a customer's own list of whom they pay. Every call is scoped by the owner:
another customer's payee is not found (a 404), so that payee ids cannot be probed."""

from __future__ import annotations

from ..domain.errors import NotPermitted, PayeeNotFound
from ..domain.ledger import new_id
from ..domain.payees import Payee, clean_nickname, payee_target
from .bank import Bank


def add_payee(
    bank: Bank,
    user_id: str,
    *,
    nickname: object,
    account_number: object = None,
    email: object = None,
) -> Payee:
    """Save a payee named by account number (its check digit is checked now) or by email.
    Whether anyone holds that number or email is known only when money is sent to it.
    Staff logins are not customers and keep no payees (NotPermitted)."""
    owner = bank.store.users.get_user(user_id)
    if owner is None or owner.is_staff:
        raise NotPermitted("staff logins keep no payees; a customer login saves them")
    name = clean_nickname(nickname)
    number, mail = payee_target(account_number, email)
    payee = Payee(new_id(), user_id, name, number, mail, bank.now())
    bank.store.payees.add_payee(payee)
    return payee


def payees_of(bank: Bank, user_id: str) -> list[Payee]:
    return bank.store.payees.payees_of(user_id)


def payee_of(bank: Bank, user_id: str, payee_id: object) -> Payee:
    """The caller's own payee, or PayeeNotFound (also for someone else's)."""
    found = bank.store.payees.get_payee(user_id, payee_id) if isinstance(payee_id, str) else None
    if found is None:
        raise PayeeNotFound("no such payee")
    return found


def rename_payee(bank: Bank, user_id: str, payee_id: object, nickname: object) -> Payee:
    name = clean_nickname(nickname)
    return bank.store.payees.rename_payee(user_id, payee_of(bank, user_id, payee_id).id, name)


def remove_payee(bank: Bank, user_id: str, payee_id: object) -> None:
    bank.store.payees.remove_payee(user_id, payee_of(bank, user_id, payee_id).id)
