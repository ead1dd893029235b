"""Accounts, account numbers and users."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

from .digits import ascii_digits
from .money import Money


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


class AccountStatus(StrEnum):
    OPEN = "open"
    FROZEN = "frozen"
    CLOSED = "closed"


#: The reason a customer reads on an account the bank closed at their request (its balance
#: paid out or moved: services/account_closing.py, and the synthetic bank's leavers): it
#: names no suspicion.
CLOSED_BY_THE_BANK = "closed by the bank"


class Role(StrEnum):
    CUSTOMER = "customer"
    FRAUD_ANALYST = "fraud_analyst"
    FINANCIAL_MANAGER = "financial_manager"
    COMPLIANCE_OFFICER = "compliance_officer"
    ADMIN = "admin"


#: The fields of a user that update_user may change (the id and created_at never change).
USER_FIELDS = frozenset(
    {
        "email",
        "full_name",
        "password_hash",
        "role",
        "must_change_password",
        "totp_secret",
        "totp_last_step",
        "recovery_codes",
        "security_stamp",
        "phone",
        "address",
        "date_of_birth",
    }
)

#: The most accounts one customer may hold: a rename rewrites the owner's name on each of
#: them in the same atomic write (DynamoDB takes 100 items per transaction).
MAX_ACCOUNTS_PER_CUSTOMER = 20

#: The longest nickname an account may carry, in characters.
NICKNAME_MAX = 40

#: The vault: the bank-side account that deposits come from and withdrawals go to (one of
#: the internal accounts of domain.chart).
CASH_ACCOUNT_ID = "bank-cash"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    full_name: str
    password_hash: str
    role: Role
    created_at: str
    #: Set for staff created with a one-time password: nothing else until it is changed.
    must_change_password: bool = False
    #: Base32 TOTP secret once two-factor authentication is confirmed, else None.
    totp_secret: str | None = None
    #: The last TOTP time step accepted, so that a code cannot be replayed.
    totp_last_step: int = 0
    #: Hashes of the unused one-time recovery codes.
    recovery_codes: tuple[str, ...] = ()
    #: Bumped by every write of the record; a write is conditional on the version it read,
    #: so that two requests editing one user never undo each other.
    version: int = 0
    #: Sessions and API tokens carry the stamp their user had when they began; a new stamp
    #: (password, email or role change, "end sessions") ends them all in that one write.
    security_stamp: str = ""
    #: Made by `flaskbank demo` with a published password and TOTP secret: such a user may
    #: sign in only while the server runs as the demo (domain.security.may_sign_in). Set
    #: once at creation and never changed (not in USER_FIELDS): an email or role change
    #: must not turn a published login into a real one.
    demo_only: bool = False
    #: Personal details (domain/personal.py), "" for a customer who registered before the
    #: bank asked for them: a phone number in E.164 form, the postal address's lines joined
    #: by newlines, and the date of birth as YYYY-MM-DD.
    phone: str = ""
    address: str = ""
    date_of_birth: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.CUSTOMER

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    number: str
    user_id: str
    type: AccountType
    currency: str
    balance: Money
    status: AccountStatus
    opened_at: str
    #: Why the account is frozen or closed, shown to its owner.
    status_reason: str = ""
    #: The owner's name as the store keeps it with the account: what the other side of a
    #: transfer sees, without reading the owner's profile.
    owner_name: str = ""
    #: What open holds reserve of the balance, in minor units: available = balance - held.
    held_minor: int = 0
    #: The owner's own name for the account ("Holiday fund"); empty when they gave none.
    nickname: str = ""
    #: The owner chose it to receive money sent to their email (domain.recipients).
    primary: bool = False

    @property
    def is_open(self) -> bool:
        return self.status is AccountStatus.OPEN

    @property
    def held(self) -> Money:
        return Money.from_minor(self.held_minor, self.currency)

    @property
    def available(self) -> Money:
        return self.balance - self.held


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit for `digits`: catches any single wrong digit and most swaps."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def new_account_number() -> str:
    """A random 12-digit account number, the last digit a Luhn check digit."""
    body = str(secrets.randbelow(9 * 10**10) + 10**10)  # 11 digits, no leading zero
    return body + luhn_check_digit(body)


#: Account ids are derived from account numbers (UUID version 5 in this namespace), so that
#: a store can find the account a customer typed the number of by its key, with no lookup.
ACCOUNT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "accounts.flaskbank")


def account_id_for(number: str) -> str:
    """The id of the account with this (canonical) number, for accounts opened since ids
    are derived; older accounts are found by number instead."""
    return str(uuid.uuid5(ACCOUNT_ID_NAMESPACE, number))


def normalize_account_number(text: str) -> str | None:
    """The canonical number for what a person typed (spaces and dashes allowed), or None
    when it cannot be an account number, so a typo is caught before any lookup. Only ASCII
    digits count: a look-alike (superscript, fullwidth) is a typo, not a number."""
    digits = "".join(ch for ch in text if ch not in " -")
    if len(digits) != 12 or not ascii_digits(digits):
        return None
    if luhn_check_digit(digits[:-1]) != digits[-1]:
        return None
    return digits


def format_account_number(number: str) -> str:
    """Grouped for reading aloud: 1234 5678 9012."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
