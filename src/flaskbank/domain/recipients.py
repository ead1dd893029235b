"""Who receives money sent to an email, and what a sender is shown of the person they pay.

Both stores hand the services the recipient's accounts as they keep them; which one the
money lands in is decided here, once, so that SQLite and DynamoDB cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from .accounts import Account, AccountType


def primary_account(accounts: Iterable[Account], currency: str | None = None) -> Account | None:
    """The account that money sent to its owner's email lands in: among the owner's open
    accounts (in `currency`, when given) the one they chose as primary; without such a
    choice the oldest open checking account, else the oldest open account; None when no
    account qualifies. Oldest means opened first, ties by number, whatever order the
    store listed them in."""
    candidates = sorted(
        (a for a in accounts if a.is_open and currency in (None, a.currency)),
        key=lambda a: (a.opened_at, a.number),
    )
    for pick in (
        [a for a in candidates if a.primary],
        [a for a in candidates if a.type is AccountType.CHECKING],
        candidates,
    ):
        if pick:
            return pick[0]
    return None


def masked_name(full_name: str) -> str:
    """ "Alice Martin" -> "Alice M.": enough for a sender to recognise whom they pay, not
    enough to learn a stranger's full name from an email address."""
    words = full_name.split()
    if len(words) < 2:
        return words[0] if words else ""
    return f"{words[0]} {words[-1][0]}."


def account_ending(number: str) -> str:
    """The last four digits, as a bank shows an account it will not spell out."""
    return f"•••• {number[-4:]}"


def masked_label(account: Account) -> str:
    """How a transfer's sender sees another customer's account: "Alice M. · •••• 1234"."""
    return " · ".join(
        p for p in (masked_name(account.owner_name), account_ending(account.number)) if p
    )
