"""The chart of accounts: what each account is to the bank, and the rules its balance keeps.

Every account belongs to a class. Customer deposit accounts (checking, savings) are the
bank's liabilities: it owes their balance to the customer. The bank's internal accounts are
the other side of every posting that is not a transfer: the vault's cash (an asset), loans
receivable (an asset), interest and fee income, and suspense for what is not yet placed.

Sign convention: an entry's amount is positive when it credits the account and negative
when it debits it, so a customer's balance reads the way the customer sees it, and every
posting's legs sum to zero. Assets and expenses carry their natural (debit) balance as a
negative sum; the trial balance prints them on the debit side.

Internal accounts keep no stored balance: their balance is the sum of their entries. Every
deposit and withdrawal touches the vault, so a stored vault balance would be one row that
every posting writes (a hot row that serialises the bank); with none, postings to different
customers never touch a common record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .accounts import CASH_ACCOUNT_ID, Account, AccountStatus, AccountType
from .errors import AccountNotOpen, InsufficientFunds
from .money import Money


class AccountClass(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow by debits; liabilities and income by credits."""
        return self in (AccountClass.ASSET, AccountClass.EXPENSE)


@dataclass(frozen=True, slots=True)
class BalancePolicy:
    """How low an account's available balance may go. `overdraft` is the most it may be
    overdrawn (in the account's currency, zero for a plain deposit account); None means the
    balance may take either sign (the bank's own accounts)."""

    overdraft: int | None = 0  # minor units

    def floor(self, currency: str) -> Money | None:
        return None if self.overdraft is None else Money.from_minor(-self.overdraft, currency)


NEVER_NEGATIVE = BalancePolicy(0)
EITHER_SIGN = BalancePolicy(None)


@dataclass(frozen=True, slots=True)
class Product:
    """A kind of customer account: its class in the chart and its balance policy."""

    type: AccountType
    name: str
    account_class: AccountClass
    policy: BalancePolicy


#: Customer products. An overdraft product would set BalancePolicy(limit) here; both stores
#: and verify read the policy from this table, never from a constant of their own.
PRODUCTS = {
    AccountType.CHECKING: Product(
        AccountType.CHECKING, "Checking", AccountClass.LIABILITY, NEVER_NEGATIVE
    ),
    AccountType.SAVINGS: Product(
        AccountType.SAVINGS, "Savings", AccountClass.LIABILITY, NEVER_NEGATIVE
    ),
}


@dataclass(frozen=True, slots=True)
class InternalAccount:
    """One of the bank's own accounts. They are always open, take either sign and keep no
    stored balance (see the module docstring)."""

    id: str
    name: str
    account_class: AccountClass
    policy: BalancePolicy = EITHER_SIGN


LOANS_RECEIVABLE_ID = "bank-loans-receivable"
INTEREST_INCOME_ID = "bank-interest-income"
FEE_INCOME_ID = "bank-fee-income"
SUSPENSE_ID = "bank-suspense"

INTERNAL_ACCOUNTS = {
    a.id: a
    for a in (
        InternalAccount(CASH_ACCOUNT_ID, "Cash (vault)", AccountClass.ASSET),
        InternalAccount(LOANS_RECEIVABLE_ID, "Loans receivable", AccountClass.ASSET),
        InternalAccount(INTEREST_INCOME_ID, "Interest income", AccountClass.INCOME),
        InternalAccount(FEE_INCOME_ID, "Fee income", AccountClass.INCOME),
        InternalAccount(SUSPENSE_ID, "Suspense", AccountClass.LIABILITY),
    )
}


def is_internal(account_id: str) -> bool:
    """Whether the id names one of the bank's own accounts (which keep no stored balance)."""
    return account_id in INTERNAL_ACCOUNTS


def policy_of(type: AccountType | str) -> BalancePolicy:
    return PRODUCTS[AccountType(type)].policy


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules read of an account: its balance, the amount on hold, its status and
    policy. `available` is what it may still spend."""

    balance: Money
    held: Money
    status: AccountStatus
    policy: BalancePolicy
    number: str

    @property
    def available(self) -> Money:
        return self.balance - self.held


def standing_of(account: Account) -> Standing:
    return Standing(
        account.balance, account.held, account.status, policy_of(account.type), account.number
    )


def check_debit(standing: Standing, amount: Money) -> None:
    """The one rule for taking `amount` (positive) out of an account, or reserving it with a
    hold: only an open account sends money, and its available balance stays at or above
    its policy's floor. The services apply it to what they read; both stores apply it again
    to the state their write lands on."""
    if standing.status is not AccountStatus.OPEN:
        raise AccountNotOpen(
            f"account {standing.number} is {standing.status}; it cannot send money"
        )
    floor = standing.policy.floor(amount.currency)
    if floor is not None and standing.available - amount < floor:
        if standing.held.minor == 0:
            raise InsufficientFunds(
                f"insufficient funds: the balance is {standing.balance.display()}"
            )
        raise InsufficientFunds(
            f"insufficient funds: the available balance is {standing.available.display()}"
            f" ({standing.held.display()} on hold)"
        )


def check_credit(standing: Standing, amount: Money) -> None:
    """The one rule for paying `amount` (positive) into an account: only an open account
    takes money in (a frozen or closed one refuses every kind of credit)."""
    if standing.status is not AccountStatus.OPEN:
        raise AccountNotOpen(f"account {standing.number} cannot take money in")


def leg_passes(
    status: AccountStatus, policy: BalancePolicy, available_minor: int, amount_minor: int
) -> bool:
    """check_leg's rule in minor units, for a caller that judges many legs (a bulk load):
    True when check_leg would let a leg of `amount_minor` (signed) through, on an account
    whose available balance is `available_minor`; False when it may not, and check_leg then
    says why. Kept beside the rules it restates (a test holds the two together)."""
    if status is not AccountStatus.OPEN:
        return False
    if amount_minor >= 0 or policy.overdraft is None:
        return True
    return available_minor + amount_minor >= -policy.overdraft


def check_leg(standing: Standing, amount: Money) -> None:
    """A signed leg: a debit when negative, else a credit."""
    if amount.is_negative():
        check_debit(standing, -amount)
    else:
        check_credit(standing, amount)
