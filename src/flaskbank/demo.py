"""Demo data: a few customers with months of realistic history, posted through the same
services as real traffic (so the ledger's invariants hold for it too)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .domain.money import D
from .services import accounts, customers, postings
from .services.bank import Bank

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed to the user on purpose
PEOPLE = [
    ("alice@example.com", "Alice Martin", "4200.00"),
    ("bob@example.com", "Bob Nguyen", "3100.00"),
    ("carol@example.com", "Carol Okafor", "5600.00"),
]
MONTHS = 4


def load_demo(bank: Bank, *, now: datetime | None = None, seed: int = 7) -> list[str]:
    """Create the demo customers unless the store already has users; returns their emails."""
    emails = [p[0] for p in PEOPLE]
    if bank.store.users.count_users() > 0:
        return emails
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    end = now or datetime.now(UTC)
    start = (end - timedelta(days=30 * MONTHS)).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = {"t": start}
    sim = replace(bank, clock=lambda: clock["t"])
    people = []
    for email, name, salary in PEOPLE:
        user = customers.register(sim, email=email, full_name=name, password=DEMO_PASSWORD)
        checking = accounts.open_account(sim, user.id, type="checking")
        savings = accounts.open_account(sim, user.id, type="savings")
        postings.deposit(sim, user.id, checking.id, amount="1500.00", memo="Opening deposit")
        people.append((user, checking, savings, salary))
    day = start
    # Whole days before today only, so that no demo posting is dated in the future.
    while (day + timedelta(days=1)).date() < end.date():
        day += timedelta(days=1)
        for i, (user, checking, savings, salary) in enumerate(people):
            clock["t"] = day + timedelta(hours=9 + i, minutes=rng.randrange(60))
            if day.day == 1:
                postings.deposit(sim, user.id, checking.id, amount=salary, memo="Salary")
                postings.transfer(
                    sim,
                    user.id,
                    checking.id,
                    amount="300.00",
                    to_account_number=savings.number,
                    memo="Monthly saving",
                )
            if day.day == 3:
                _spend(sim, user.id, checking.id, f"{rng.randrange(900, 1600)}.00", "Rent")
            if rng.random() < 0.25:
                amount = f"{rng.randrange(15, 140)}.{rng.randrange(100):02d}"
                _spend(
                    sim,
                    user.id,
                    checking.id,
                    amount,
                    rng.choice(["Groceries", "Pharmacy", "Fuel", "Cinema", "Cash for market"]),
                )
            if rng.random() < 0.06:
                other = people[(i + 1) % len(people)]
                amount = f"{rng.randrange(10, 80)}.00"
                clock["t"] += timedelta(minutes=1)
                postings.transfer(
                    sim,
                    user.id,
                    checking.id,
                    amount=amount,
                    to_email=other[0].email,
                    memo=rng.choice(["Dinner", "Concert tickets", "Thanks!"]),
                )
    return emails


def _spend(bank: Bank, user_id: str, account_id: str, amount: str, memo: str) -> None:
    """Withdraw only what the account holds: demo customers do not bounce payments."""
    account = bank.store.ledger.get_account(account_id)
    if account is not None and account.balance.amount >= D(amount):
        postings.withdraw(bank, user_id, account_id, amount=amount, memo=memo)
