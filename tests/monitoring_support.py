"""A small bank's feed for monitoring tests: customers, their postings and security events
as the stores would write them (domain.events), scored step by step by the replayer, which
runs the live path's score() and observe() against in-memory state."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from flaskbank.domain.accounts import CASH_ACCOUNT_ID
from flaskbank.domain.events import Event, EventKind, JsonValue, transaction_posted
from flaskbank.domain.ledger import Leg, Posting, TransactionType, utc_iso
from flaskbank.domain.money import Money
from flaskbank.domain.monitoring.model import RuleSet, Verdict
from flaskbank.domain.monitoring.replay import Replayer
from flaskbank.domain.monitoring.rules import default_rule_set

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


class Feed:
    def __init__(self, rules: RuleSet | None = None) -> None:
        self.replayer = Replayer(rules or default_rule_set())
        self.ids = itertools.count(1)
        self.events: list[Event] = []

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids)}"

    def _emit(self, event: Event) -> Verdict | None:
        self.events.append(event)
        return self.replayer.step(event)

    def customer(self, user: str, when: datetime = START, accounts: int = 1) -> list[str]:
        opened = []
        for k in range(accounts):
            account = f"{user}-acc{k}"
            self._emit(
                Event(
                    self._next("ev"),
                    EventKind.ACCOUNT_OPENED,
                    account,
                    user,
                    utc_iso(when),
                    {"user_id": user, "number": "1", "type": "checking", "currency": "USD"},
                )
            )
            opened.append(account)
        return opened

    def _post(
        self, kind: TransactionType, legs: tuple[Leg, ...], when: datetime, by: str
    ) -> Verdict:
        amount = max(leg.amount for leg in legs)
        posting = Posting(self._next("txn"), kind, amount, legs, "", utc_iso(when), by)
        verdict = self._emit(transaction_posted(posting))
        assert verdict is not None
        return verdict

    def deposit(self, account: str, amount: str, when: datetime) -> Verdict:
        m = Money.of(amount)
        legs = (Leg(account, m, "Cash deposit"), Leg(CASH_ACCOUNT_ID, -m, ""))
        return self._post(TransactionType.DEPOSIT, legs, when, self.owner(account))

    def withdraw(self, account: str, amount: str, when: datetime) -> Verdict:
        m = Money.of(amount)
        legs = (Leg(account, -m, "Cash withdrawal"), Leg(CASH_ACCOUNT_ID, m, ""))
        return self._post(TransactionType.WITHDRAWAL, legs, when, self.owner(account))

    def transfer(self, source: str, target: str, amount: str, when: datetime) -> Verdict:
        m = Money.of(amount)
        legs = (Leg(source, -m, target), Leg(target, m, source))
        return self._post(TransactionType.TRANSFER, legs, when, self.owner(source))

    def security(self, user: str, kind: EventKind, when: datetime, **payload: JsonValue) -> None:
        self._emit(Event(self._next("ev"), kind, user, user, utc_iso(when), payload))

    def owner(self, account: str) -> str:
        return self.replayer.owners[account]


def days(n: float) -> timedelta:
    return timedelta(days=n)


def rules_fired(verdict: Verdict) -> set[str]:
    return {h.rule_id for h in verdict.hits}
