"""A small synthetic bank as bulk batches, built from the domain's own objects (users,
accounts, and postings from domain.ledger's deposit, withdrawal and transfer builders),
for the bulk-load tests and bench/bench_dynamo_bulk.py. Seeded, so the same arguments give
the same customers and the same amounts; balances are tracked in memory so that every
posting is one the rules accept."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flaskbank.domain import ledger
from flaskbank.domain.accounts import (
    Account,
    AccountStatus,
    AccountType,
    Role,
    User,
    account_id_for,
    luhn_check_digit,
)
from flaskbank.domain.money import Money
from flaskbank.passwords import FastHasher
from flaskbank.store.base import BulkBatch

PASSWORD = "a long bulk password"
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_IDS = uuid.UUID("3f0f2a52-8a7e-4a8e-b3b7-1e6f4c0c2d11")


class SmallBank:
    """Customers with one checking account each, and postings among them in time order."""

    def __init__(self, load_id: str, *, seed: int = 7) -> None:
        self.load_id = load_id
        self.rng = random.Random(seed)
        self.hash = FastHasher().hash(PASSWORD)  # one hash for all: hashing is slow on purpose
        self.accounts: list[Account] = []
        self.balances: dict[str, int] = {}
        self.users: dict[str, User] = {}
        self.clock = START
        self.made = 0

    def now(self) -> str:
        self.clock += timedelta(seconds=self.rng.randint(1, 90))
        return ledger.utc_iso(self.clock)

    def customers(self, count: int) -> tuple[tuple[User, ...], tuple[Account, ...]]:
        users, accounts = [], []
        for _ in range(count):
            n = self.made = self.made + 1
            at = self.now()
            user = User(
                str(uuid.uuid5(_IDS, f"{self.load_id}/user/{n}")),
                f"c{n}-{self.load_id[:8]}@example.com",
                f"Customer {n}",
                self.hash,
                Role.CUSTOMER,
                at,
            )
            body = f"{self.rng.randrange(10**10, 10**11)}"
            number = body + luhn_check_digit(body)
            account = Account(
                account_id_for(number),
                number,
                user.id,
                AccountType.CHECKING,
                "USD",
                Money.zero("USD"),
                AccountStatus.OPEN,
                at,
                owner_name=user.full_name,
            )
            users.append(user)
            accounts.append(account)
            self.users[user.id] = user
            self.balances[account.id] = 0
        self.accounts += accounts
        return tuple(users), tuple(accounts)

    def postings(self, count: int, *, among: list[Account] | None = None) -> list[ledger.Posting]:
        """Deposits where money is short, else transfers (and a few withdrawals)."""
        pool = among or self.accounts
        made = []
        for _ in range(count):
            source = self.rng.choice(pool)
            balance = self.balances[source.id]
            roll = self.rng.random()
            if balance < 5_000 or roll < 0.25:
                made.append(self._deposit(source, self.rng.randrange(10_000, 500_000)))
            elif roll < 0.35:
                made.append(self._withdrawal(source, self.rng.randrange(1, balance // 2)))
            else:
                target = self.rng.choice(pool)
                if target.id == source.id:
                    made.append(self._deposit(source, 1_000))
                else:
                    made.append(self._transfer(source, target, self.rng.randrange(1, balance)))
        return made

    def _now_account(self, account: Account) -> Account:
        return replace(account, balance=Money.from_minor(self.balances[account.id], "USD"))

    def _deposit(self, account: Account, minor: int) -> ledger.Posting:
        by = account.user_id
        amount = Money.from_minor(minor, "USD")
        p = ledger.deposit(self._now_account(account), amount, memo="pay", at=self.now(), by=by)
        self.balances[account.id] += minor
        return p

    def _withdrawal(self, account: Account, minor: int) -> ledger.Posting:
        by = account.user_id
        amount = Money.from_minor(minor, "USD")
        p = ledger.withdrawal(self._now_account(account), amount, memo="", at=self.now(), by=by)
        self.balances[account.id] -= minor
        return p

    def _transfer(self, source: Account, target: Account, minor: int) -> ledger.Posting:
        p = ledger.transfer(
            self._now_account(source),
            self._now_account(target),
            Money.from_minor(minor, "USD"),
            memo="rent",
            at=self.now(),
            by=source.user_id,
            source_label=f"{source.owner_name} ({source.number})",
            target_label=f"{target.owner_name} ({target.number})",
        )
        self.balances[source.id] -= minor
        self.balances[target.id] += minor
        return p

    def batches(self, sizes: list[tuple[int, int]]) -> list[BulkBatch]:
        """One batch per (new customers, postings) pair, numbered from 0."""
        made = []
        for number, (customers, postings) in enumerate(sizes):
            users, accounts = self.customers(customers) if customers else ((), ())
            made.append(
                BulkBatch(
                    self.load_id,
                    number,
                    users=users,
                    accounts=accounts,
                    postings=tuple(self.postings(postings)),
                )
            )
        return made
