"""`verify` over a full snapshot of the ledger, and the trial balance it prints. Pure, so that
any store can feed it.

What must hold:
- every transaction's entries sum to zero;
- every customer account's stored balance equals the sum of its entries, its held amount
  equals the sum of its open holds, and its available balance (balance minus held) respects
  its product's policy; no entry left it below the policy's floor;
- every entry is on a known account: a customer's, or one of the bank's own (domain.chart);
- the trial balance balances: per currency, the customer balances the bank owes (stored)
  and what its own accounts hold (their entries) sum to zero, so debits equal credits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .accounts import Account
from .chart import INTERNAL_ACCOUNTS, PRODUCTS, AccountClass, policy_of
from .holds import Hold
from .ledger import Transaction
from .money import Money


@dataclass(frozen=True, slots=True)
class TrialLine:
    """One line of the trial balance: an account of the bank's, or one customer product."""

    account_class: AccountClass
    name: str
    total: Money  # signed as entries are: positive is a credit balance

    @property
    def debit(self) -> Money:
        return -self.total if self.total.is_negative() else Money.zero(self.total.currency)

    @property
    def credit(self) -> Money:
        return self.total if self.total.is_positive() else Money.zero(self.total.currency)


@dataclass
class TrialBalance:
    currency: str
    lines: list[TrialLine] = field(default_factory=list)

    @property
    def debits(self) -> Money:
        return sum((line.debit for line in self.lines), Money.zero(self.currency))

    @property
    def credits(self) -> Money:
        return sum((line.credit for line in self.lines), Money.zero(self.currency))

    @property
    def balances(self) -> bool:
        return self.debits == self.credits

    def by_class(self) -> dict[AccountClass, Money]:
        """Each class's balance in its natural sign (assets and expenses as debits)."""
        totals: dict[AccountClass, Money] = {}
        for line in self.lines:
            natural = -line.total if line.account_class.debit_normal else line.total
            zero = Money.zero(self.currency)
            totals[line.account_class] = totals.get(line.account_class, zero) + natural
        return totals


@dataclass
class LedgerReport:
    """What `verify` found: empty `problems` means every invariant holds."""

    transactions: int = 0
    accounts: int = 0
    trial_balances: dict[str, TrialBalance] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def verify_ledger(
    accounts: Iterable[Account],
    transactions: Iterable[Transaction],
    holds: Iterable[Hold] = (),
) -> LedgerReport:
    report = LedgerReport()
    reserved: dict[str, int] = {}  # account id -> the sum of its open holds
    for hold in holds:
        if hold.is_open:
            reserved[hold.account_id] = reserved.get(hold.account_id, 0) + hold.amount.minor
    sums: dict[tuple[str, str], Money] = {}  # (account id, currency): the bank's accounts
    lowest: dict[str, Money] = {}  # each account's lowest balance_after on record
    for txn in transactions:
        report.transactions += 1
        total = Money.zero(txn.amount.currency)
        for e in txn.entries:
            total = total + e.amount
            side = (e.account_id, e.amount.currency)
            sums[side] = sums.get(side, Money.zero(e.amount.currency)) + e.amount
            if e.balance_after is not None:
                low = lowest.get(e.account_id)
                if low is None or e.balance_after < low:
                    lowest[e.account_id] = e.balance_after
        if total.amount != 0:
            report.problems.append(f"transaction {txn.id} does not balance ({total})")
    customer: dict[tuple[str, str], Money] = {}  # (currency, product name) -> balances
    seen: set[str] = set()
    for acc in accounts:
        report.accounts += 1
        seen.add(acc.id)
        cur = acc.currency
        expected = sums.get((acc.id, cur), Money.zero(cur))
        if acc.balance != expected:
            report.problems.append(
                f"account {acc.number}: stored balance {acc.balance} != entries {expected}"
            )
        floor = policy_of(acc.type).floor(cur)
        if floor is not None and acc.available < floor:
            report.problems.append(
                f"account {acc.number}: available {acc.available} is below its floor {floor}"
            )
        if acc.held_minor != reserved.get(acc.id, 0):
            report.problems.append(
                f"account {acc.number}: held {acc.held} != its open holds "
                f"{Money.from_minor(reserved.get(acc.id, 0), cur)}"
            )
        low = lowest.get(acc.id)
        if floor is not None and low is not None and low < floor:
            report.problems.append(f"account {acc.number} went below its floor ({low})")
        key = (cur, PRODUCTS[acc.type].name)
        customer[key] = customer.get(key, Money.zero(cur)) + acc.balance
    for (account_id, _), total in sums.items():
        if account_id not in seen and account_id not in INTERNAL_ACCOUNTS:
            report.problems.append(f"entries on an unknown account {account_id} ({total})")
    _trial_balances(report, customer, sums)
    return report


def _trial_balances(
    report: LedgerReport,
    customer: dict[tuple[str, str], Money],
    sums: dict[tuple[str, str], Money],
) -> None:
    for (cur, name), total in sorted(customer.items()):
        tb = report.trial_balances.setdefault(cur, TrialBalance(cur))
        tb.lines.append(TrialLine(AccountClass.LIABILITY, f"Customer deposits: {name}", total))
    for (account_id, cur), total in sorted(sums.items()):
        internal = INTERNAL_ACCOUNTS.get(account_id)
        if internal is not None:
            tb = report.trial_balances.setdefault(cur, TrialBalance(cur))
            tb.lines.append(TrialLine(internal.account_class, internal.name, total))
    for cur, tb in sorted(report.trial_balances.items()):
        tb.lines.sort(key=lambda line: (list(AccountClass).index(line.account_class), line.name))
        if not tb.balances:
            report.problems.append(
                f"{cur}: the trial balance does not balance: debits {tb.debits}"
                f" != credits {tb.credits}"
            )
