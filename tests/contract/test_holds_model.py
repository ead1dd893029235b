"""A hypothesis stateful model of the ledger with holds, on both stores: random deposits,
withdrawals, transfers (large ones wait for review on a hold), staff holds, releases, voids
and cancellations, compared with a model after every step. Invariants: balances and held
amounts match the model, available is never negative, money is conserved with holds open,
verify passes, and every hold is resolved at most once."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from flaskbank.domain.errors import HoldNotOpen, InsufficientFunds
from flaskbank.domain.holds import Hold, HoldStatus
from flaskbank.domain.money import Money
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, holds, postings, staff
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank, Settings
from flaskbank.services.ledger_checks import verify
from flaskbank.store.sqlite import SqliteStore

REVIEW_FROM = 5_000  # minor units: transfers of 50.00 or more wait for review
amounts = st.integers(min_value=1, max_value=12_000)


def machine(new_store):  # type: ignore[no-untyped-def]
    class HoldsMachine(RuleBasedStateMachine):
        @initialize()
        def open_bank(self):
            self.store, self.cleanup = new_store()
            self.bank = Bank(
                self.store, FastHasher(), Settings(review_threshold=Decimal(REVIEW_FROM) / 100)
            )
            self.analyst, _ = staff.create_staff(
                self.bank,
                email="fay@example.com",
                full_name="Fay",
                role="fraud_analyst",
                actor=Actor.of(None, "127.0.0.1", "cli"),
            )
            self.balance: dict[str, int] = {}
            self.owner: dict[str, str] = {}
            self.number: dict[str, str] = {}
            self.open: dict[str, tuple[str, int, str | None]] = {}  # hold -> acc, amount, to
            self.resolved: set[str] = set()
            self.cash = 0  # what came in from outside, less what went out
            for name in ("ann", "ben", "cy"):
                user = customers.register(
                    self.bank,
                    email=f"{name}@example.com",
                    full_name=name.title(),
                    password="a long model secret",
                )
                acc = accounts.open_account(self.bank, user.id, type="checking")
                self.balance[acc.id], self.owner[acc.id] = 0, user.id
                self.number[acc.id] = acc.number

        def teardown(self):
            if hasattr(self, "store"):
                self.store.close()
                self.cleanup()

        def held(self, acc: str) -> int:
            return sum(m for a, m, _ in self.open.values() if a == acc)

        def available(self, acc: str) -> int:
            return self.balance[acc] - self.held(acc)

        def some(self, data):
            return data.draw(st.sampled_from(sorted(self.balance)))

        def money(self, minor: int) -> str:
            return str(Money.from_minor(minor, "USD"))

        @rule(data=st.data(), minor=amounts)
        def deposit(self, data, minor):
            acc = self.some(data)
            postings.deposit(self.bank, self.owner[acc], acc, amount=self.money(minor))
            self.balance[acc] += minor
            self.cash += minor

        @rule(data=st.data(), minor=amounts)
        def withdraw(self, data, minor):
            acc = self.some(data)
            try:
                postings.withdraw(self.bank, self.owner[acc], acc, amount=self.money(minor))
            except InsufficientFunds:
                assert self.available(acc) < minor
                return
            assert self.available(acc) >= minor
            self.balance[acc] -= minor
            self.cash -= minor

        @rule(data=st.data(), minor=amounts)
        def transfer(self, data, minor):
            src = self.some(data)
            dst = data.draw(st.sampled_from(sorted(set(self.balance) - {src})))
            try:
                result = postings.transfer(
                    self.bank,
                    self.owner[src],
                    src,
                    amount=self.money(minor),
                    to_account_number=self.number[dst],
                )
            except InsufficientFunds:
                assert self.available(src) < minor
                return
            assert self.available(src) >= minor
            if isinstance(result, Hold):
                assert minor >= REVIEW_FROM
                self.open[result.id] = (src, minor, dst)
            else:
                assert minor < REVIEW_FROM
                self.balance[src] -= minor
                self.balance[dst] += minor

        @rule(data=st.data(), minor=amounts)
        def staff_hold(self, data, minor):
            acc = self.some(data)
            try:
                hold = holds.place_staff_hold(
                    self.bank,
                    self.analyst,
                    acc,
                    amount=self.money(minor),
                    reason="model",
                    actor=Actor.of(self.analyst, "127.0.0.1"),
                )
            except InsufficientFunds:
                assert self.available(acc) < minor
                return
            assert self.available(acc) >= minor
            self.open[hold.id] = (acc, minor, None)

        def _resolve(self, data, how):
            known = sorted(set(self.open) | self.resolved)
            hold_id = data.draw(st.sampled_from(known))
            acc = self.open[hold_id][0] if hold_id in self.open else None
            if acc is None:  # resolved already: whatever is tried now is a 409
                acc = next(
                    h.account_id
                    for a in self.balance
                    for h in self.bank.store.holds.holds_of(a)
                    if h.id == hold_id
                )
            actor = Actor.of(self.analyst, "127.0.0.1")
            try:
                done = how(self.bank, self.analyst, acc, hold_id, actor)
            except HoldNotOpen:
                assert hold_id in self.resolved
                return None
            assert hold_id not in self.resolved
            self.resolved.add(hold_id)
            return done, self.open.pop(hold_id)

        @precondition(lambda self: self.open or self.resolved)
        @rule(data=st.data())
        def release(self, data):
            outcome = self._resolve(data, holds.release)
            if outcome is not None:
                done, (acc, minor, to) = outcome
                assert done.status is HoldStatus.RELEASED
                if to is not None:  # a pending transfer is posted as reviewed
                    self.balance[acc] -= minor
                    self.balance[to] += minor

        @precondition(lambda self: self.open or self.resolved)
        @rule(data=st.data())
        def void(self, data):
            outcome = self._resolve(data, holds.void)
            if outcome is not None:
                assert outcome[0].status is HoldStatus.VOIDED

        @invariant()
        def the_store_agrees_with_the_model(self):
            if not hasattr(self, "bank"):
                return
            for acc, minor in self.balance.items():
                stored = self.bank.store.ledger.get_account(acc)
                assert stored.balance.minor == minor
                assert stored.held_minor == self.held(acc)
                assert stored.available.minor == self.available(acc) >= 0
            assert sum(self.balance.values()) == self.cash  # conserved, holds open or not
            assert verify(self.bank).problems == []

    return HoldsMachine


def test_the_holds_model_on_each_store(store_kind, request):
    if store_kind == "sqlite":

        def new_store():  # type: ignore[no-untyped-def]
            where = tempfile.mkdtemp()
            store = SqliteStore(f"{where}/bank.db")
            store.init_schema()
            return store, lambda: shutil.rmtree(where, ignore_errors=True)

        examples, steps = 25, 25
    else:
        endpoint = request.getfixturevalue("dynamodb_endpoint")
        from dynamodb_local import fresh_dynamo_store

        def new_store():  # type: ignore[no-untyped-def]
            return fresh_dynamo_store(endpoint), lambda: None

        examples, steps = 6, 20  # each example creates its own tables
    run_state_machine_as_test(
        machine(new_store),
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
