"""Properties of money and the ledger, checked by hypothesis."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from flaskbank.domain import ledger
from flaskbank.domain.accounts import luhn_check_digit, normalize_account_number
from flaskbank.domain.errors import InsufficientFunds, InvalidAmount
from flaskbank.domain.ledger import Leg, Posting, TransactionType, parse_utc_iso, utc_iso
from flaskbank.domain.money import D, Money, parse_amount
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, history, postings
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store.sqlite import SqliteStore

cents = st.integers(min_value=1, max_value=1_000_000)


@given(cents)
def test_amount_text_round_trips_exactly(minor):
    money = Money.from_minor(minor, "USD")
    assert parse_amount(str(money)) == money
    assert money.minor == minor
    assert str(money) == f"{minor // 100}.{minor % 100:02d}"


@given(st.integers(-(10**17), 10**17), st.sampled_from(["USD", "EUR", "GBP"]))
def test_money_text_is_plain_decimal_at_any_size_and_sign(minor, currency):
    # Money's text is str() of its Decimal, which would write an exponent for some values;
    # never for an amount at its currency's exponent.
    for money in (Money.from_minor(minor, currency), Money.of(f"{minor}E-2", currency)):
        assert str(money) == format(money.amount, "f")
        assert "E" not in str(money)


@given(
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal(9999),
    )
)
def test_more_than_two_decimals_is_refused(value):
    assume(value != value.quantize(Decimal("0.01")))
    with pytest.raises(InvalidAmount):
        parse_amount(f"{value:f}")
    with pytest.raises(InvalidAmount):
        Money(value, "USD")


@given(st.floats(allow_nan=True))
def test_floats_never_become_money(value):
    with pytest.raises(TypeError):
        D(value)
    with pytest.raises(InvalidAmount):
        parse_amount(value)


@given(cents, cents)
def test_money_arithmetic_is_exact_and_currencies_do_not_mix(a, b):
    x, y = Money.from_minor(a, "USD"), Money.from_minor(b, "USD")
    assert (x + y).minor == a + b and (x - y).minor == a - b
    with pytest.raises(InvalidAmount):
        x + Money.from_minor(b, "EUR")


body = st.text(alphabet="0123456789", min_size=11, max_size=11).filter(lambda s: s[0] != "0")


@given(body, st.integers(0, 11), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(digits, position, shift):
    number = digits + luhn_check_digit(digits)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert normalize_account_number(number) == number
    assert normalize_account_number(typo) is None


@given(body, st.integers(0, 10))
def test_adjacent_swaps_are_caught_except_luhns_known_09_blind_spot(digits, i):
    number = digits + luhn_check_digit(digits)
    a, b = number[i], number[i + 1]
    assume(a != b and {a, b} != {"0", "9"})
    swapped = number[:i] + b + a + number[i + 2 :]
    assert normalize_account_number(swapped) is None


@given(st.lists(st.integers(-10_000, 10_000), min_size=2, max_size=5))
def test_a_posting_must_balance(amounts):
    legs = tuple(Leg(f"acc-{i}", Money.from_minor(m, "USD")) for i, m in enumerate(amounts))
    make = lambda: Posting(  # noqa: E731
        id="t",
        type=TransactionType.TRANSFER,
        amount=Money.of("1"),
        legs=legs,
        memo="",
        created_at="2026-01-01T00:00:00.000000Z",
        initiated_by="u",
    )
    if sum(amounts) == 0:
        make()
    else:
        with pytest.raises(ValueError, match="does not balance"):
            make()


class LedgerMachine(RuleBasedStateMachine):
    """Random deposits, withdrawals and transfers against the SQLite store, compared with a
    model of the balances, with the ledger's invariants checked after every step."""

    @initialize()
    def open_bank(self):
        self.dir = tempfile.mkdtemp()
        store = SqliteStore(f"{self.dir}/bank.db")
        store.init_schema()
        self.bank = Bank(store, FastHasher())
        self.model: dict[str, int] = {}
        self.owner: dict[str, str] = {}
        self.deposited = self.withdrawn = 0
        for name in ("Ann", "Ben", "Cy"):
            user = customers.register(
                self.bank,
                email=f"{name}@example.com",
                full_name=name,
                password="a long bench secret",
            )
            acc = accounts.open_account(self.bank, user.id, type="checking")
            self.model[acc.id], self.owner[acc.id] = 0, user.id

    def teardown(self):
        if hasattr(self, "bank"):
            self.bank.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _some(self, data):
        return data.draw(st.sampled_from(sorted(self.model)))

    @rule(data=st.data(), minor=cents)
    def deposit(self, data, minor):
        acc = self._some(data)
        amount = str(Money.from_minor(minor, "USD"))
        postings.deposit(self.bank, self.owner[acc], acc, amount=amount)
        self.model[acc] += minor
        self.deposited += minor

    @rule(data=st.data(), minor=cents)
    def withdraw(self, data, minor):
        acc = self._some(data)
        amount = str(Money.from_minor(minor, "USD"))
        try:
            postings.withdraw(self.bank, self.owner[acc], acc, amount=amount)
        except InsufficientFunds:
            assert self.model[acc] < minor
            return
        self.model[acc] -= minor
        self.withdrawn += minor

    @precondition(lambda self: len(self.model) > 1)
    @rule(data=st.data(), minor=cents)
    def transfer(self, data, minor):
        src = self._some(data)
        dst = data.draw(st.sampled_from(sorted(set(self.model) - {src})))
        number = self.bank.store.ledger.get_account(dst).number
        try:
            postings.transfer(
                self.bank,
                self.owner[src],
                src,
                amount=str(Money.from_minor(minor, "USD")),
                to_account_number=number,
            )
        except InsufficientFunds:
            assert self.model[src] < minor
            return
        self.model[src] -= minor
        self.model[dst] += minor

    @invariant()
    def balances_match_the_model_and_money_is_conserved(self):
        if not hasattr(self, "bank"):
            return
        for acc, minor in self.model.items():
            assert self.bank.store.ledger.get_account(acc).balance.minor == minor >= 0
        assert sum(self.model.values()) == self.deposited - self.withdrawn
        assert verify(self.bank).problems == []

    @invariant()
    def this_months_statement_adds_up(self):
        if not hasattr(self, "bank"):
            return
        acc = sorted(self.model)[0]
        st_ = history.statement(self.bank, self.owner[acc], acc, self.bank.now()[:7])
        total = st_.opening_balance.minor + sum(line.amount.minor for line in st_.lines)
        assert total == st_.closing_balance.minor == self.model[acc]


LedgerMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_ledger_machine = LedgerMachine.TestCase


def test_the_domain_refuses_an_overdraft_before_the_store_sees_it():
    from flaskbank.domain.accounts import Account, AccountStatus, AccountType

    acc = Account("a", "1", "u", AccountType.CHECKING, "USD", Money.of("5"), AccountStatus.OPEN, "")
    with pytest.raises(InsufficientFunds):
        ledger.withdrawal(acc, Money.of("5.01"), memo="", at="", by="u")


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
)
def test_timestamp_text_sorts_in_time_order(moment, gap):
    assume(moment + gap <= datetime(9999, 12, 31, tzinfo=UTC))
    earlier, later = utc_iso(moment), utc_iso(moment + gap)
    assert earlier < later and parse_utc_iso(earlier) == moment
