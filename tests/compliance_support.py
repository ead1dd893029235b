"""A bank with the cash patterns the compliance review looks for, made through the real
services at chosen times and synced into the warehouse, with the figures each should give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from conftest import Customer, at, new_customer
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from flaskbank.services.bank import Bank


@dataclass(frozen=True)
class Cash:
    day: date  # the day of Ada's large cash (and of the boundary cases)
    ada: Customer  # 6,000.00 in and 4,000.01 out on `day`: 10,000.01, over
    bob: Customer  # 6,000.00 and 4,000.00 in on `day`: exactly 10,000.00, not over
    cy: Customer  # 9,500.00 two days before `day` and 9,000.00 on it: split
    dee: Customer  # 9,500.00 three days before `day` and 9,500.00 on it: too far apart
    eve: Customer  # 8,999.99 and 9,999.99 on `day`: large cash, and only one near deposit


def _post(bank: Bank, plan: list[tuple[datetime, Customer, str]]) -> None:
    """Deposits ("1.00") and withdrawals ("-1.00") at their moments, oldest first (the
    ledger never posts before its latest transaction)."""
    for moment, who, move in sorted(plan, key=lambda p: p[0]):
        with at(bank, moment):
            if move.startswith("-"):
                postings.withdraw(bank, who.user_id, who.account_id, amount=move[1:])
            else:
                postings.deposit(bank, who.user_id, who.account_id, amount=move)


def cash_bank(app: Any, bank: Bank) -> Cash:
    now = bank.clock()
    noon = datetime(now.year, now.month, now.day, 12, tzinfo=now.tzinfo) - timedelta(days=5)
    opened = noon - timedelta(days=10)
    people = {
        name: new_customer(bank, f"{name} Tester", opened=opened)
        for name in ("Ada", "Bob", "Cy", "Dee", "Eve")
    }
    second = timedelta(seconds=1)
    ada, bob, cy, dee, eve = people.values()
    _post(
        bank,
        [
            (noon, ada, "6000.00"),
            (noon + second, ada, "-4000.01"),
            (noon + 2 * second, bob, "6000.00"),
            (noon + 3 * second, bob, "4000.00"),
            (noon - timedelta(days=2), cy, "9500.00"),
            (noon + 4 * second, cy, "9000.00"),
            (noon - timedelta(days=3), dee, "9500.00"),
            (noon + 5 * second, dee, "9500.00"),
            (noon + 6 * second, eve, "8999.99"),
            (noon + 7 * second, eve, "9999.99"),
        ],
    )
    feed.sync(bank.store, app.extensions["warehouse"])
    return Cash(noon.date(), ada, bob, cy, dee, eve)
