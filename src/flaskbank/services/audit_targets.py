"""Who or what an audit line is about, by name: the audit log shows a customer's name
(linked to their view) or an account's number and owner instead of a bare id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..domain.accounts import User, format_account_number
from ..domain.security import Permission
from .bank import Bank
from .permissions import require

#: Longer than any id the bank makes: typed text (a search, an email) is shown as it is.
ID_MAX = 64


@dataclass(frozen=True)
class Target:
    name: str
    customer_id: str | None = None  # links to the staff customer view
    staff_id: str | None = None  # links to the staff user page (admins)


def describe(bank: Bank, viewer: User, ids: Iterable[str]) -> dict[str, Target]:
    """A Target for each id that names a user or an account; other ids (holds, alerts,
    rules, emails) are left out, and shown as they are."""
    require(viewer, Permission.VIEW_AUDIT_LOG)
    found: dict[str, Target] = {}
    for target in dict.fromkeys(i for i in ids if i and len(i) <= ID_MAX):
        user = bank.store.users.get_user(target)
        if user is not None:
            found[target] = (
                Target(f"{user.full_name} (staff)", staff_id=user.id)
                if user.is_staff
                else Target(user.full_name, customer_id=user.id)
            )
            continue
        account = bank.store.ledger.get_account(target)
        if account is not None:
            number = format_account_number(account.number)
            owner = f" of {account.owner_name}" if account.owner_name else ""
            found[target] = Target(
                f"{account.type.value.capitalize()} {number}{owner}",
                customer_id=account.user_id,
            )
    return found
