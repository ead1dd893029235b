"""The chart of accounts, its balance rules and verify's trial balance, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flaskbank.domain import chart
from flaskbank.domain.accounts import CASH_ACCOUNT_ID, Account, AccountStatus, AccountType
from flaskbank.domain.errors import AccountNotOpen, InsufficientFunds
from flaskbank.domain.ledger import Entry, Transaction, TransactionType
from flaskbank.domain.money import Money
from flaskbank.domain.verification import AccountClass, verify_ledger

USD = "USD"


def usd(minor: int) -> Money:
    return Money.from_minor(minor, USD)


def standing(balance: int, held: int = 0, policy=chart.NEVER_NEGATIVE, status=AccountStatus.OPEN):
    return chart.Standing(usd(balance), usd(held), status, policy, "100000000000")


def refused(check, *args) -> type[Exception] | None:
    try:
        check(*args)
    except (AccountNotOpen, InsufficientFunds) as e:
        return type(e)
    return None


def test_every_internal_account_has_a_class_and_takes_either_sign():
    classes = {a.account_class for a in chart.INTERNAL_ACCOUNTS.values()}
    assert {AccountClass.ASSET, AccountClass.INCOME, AccountClass.LIABILITY} <= classes
    assert chart.INTERNAL_ACCOUNTS[CASH_ACCOUNT_ID].account_class is AccountClass.ASSET
    assert all(a.policy.floor(USD) is None for a in chart.INTERNAL_ACCOUNTS.values())
    assert chart.is_internal(chart.FEE_INCOME_ID) and not chart.is_internal("a-customer")


def test_customer_deposits_are_liabilities_that_never_go_below_zero():
    for type in AccountType:
        product = chart.PRODUCTS[type]
        assert product.account_class is AccountClass.LIABILITY
        assert product.policy.floor(USD) == usd(0)


@given(
    balance=st.integers(0, 10_000),
    held=st.integers(0, 10_000),
    amount=st.integers(1, 20_000),
    overdraft=st.none() | st.integers(0, 5_000),
)
def test_a_debit_is_refused_exactly_when_it_would_take_available_below_the_floor(
    balance, held, amount, overdraft
):
    policy = chart.BalancePolicy(overdraft)
    verdict = refused(chart.check_debit, standing(balance, held, policy), usd(amount))
    allowed = overdraft is None or balance - held - amount >= -overdraft
    assert verdict is (None if allowed else InsufficientFunds)


@given(status=st.sampled_from(list(AccountStatus)), amount=st.integers(1, 10_000))
def test_only_an_open_account_sends_or_takes_money(status, amount):
    rich = standing(10**9, status=status)
    expected = None if status is AccountStatus.OPEN else AccountNotOpen
    assert refused(chart.check_debit, rich, usd(amount)) is expected
    assert refused(chart.check_credit, rich, usd(amount)) is expected


@given(
    status=st.sampled_from(list(AccountStatus)),
    balance=st.integers(-5_000, 10_000),
    held=st.integers(0, 10_000),
    amount=st.integers(-20_000, 20_000).filter(bool),
    overdraft=st.none() | st.integers(0, 5_000),
)
def test_the_rule_in_minor_units_lets_through_exactly_what_check_leg_does(
    status, balance, held, amount, overdraft
):
    # A bulk load judges its legs with leg_passes and asks check_leg only when it says no.
    policy = chart.BalancePolicy(overdraft)
    passes = refused(chart.check_leg, standing(balance, held, policy, status), usd(amount)) is None
    assert chart.leg_passes(status, policy, balance - held, amount) is passes


def test_the_refusal_names_the_available_balance_when_some_is_on_hold():
    try:
        chart.check_debit(standing(10_000, held=7_500), usd(5_000))
    except InsufficientFunds as e:
        assert "available balance is 25.00 USD" in e.message and "75.00 USD on hold" in e.message
    else:
        raise AssertionError("a debit past the holds was allowed")


def account(id: str, balance: int, held: int = 0) -> Account:
    return Account(
        id,
        id,
        "u",
        AccountType.CHECKING,
        USD,
        usd(balance),
        AccountStatus.OPEN,
        "",
        held_minor=held,
    )


def txn(id: str, *legs: tuple[str, int]) -> Transaction:
    entries = tuple(
        Entry(id, acc, TransactionType.TRANSFER, usd(m), None, "", "", "") for acc, m in legs
    )
    return Transaction(id, TransactionType.TRANSFER, usd(abs(legs[0][1])), "", "", "", entries)


def test_the_trial_balance_balances_with_income_and_the_vault():
    report = verify_ledger(
        [account("a", 9_900), account("b", 0)],
        [
            txn("t1", ("a", 10_000), (CASH_ACCOUNT_ID, -10_000)),
            txn("t2", ("a", -100), (chart.FEE_INCOME_ID, 100)),
        ],
    )
    assert report.problems == []
    tb = report.trial_balances[USD]
    assert tb.debits == tb.credits == usd(10_000)
    assert tb.by_class() == {
        AccountClass.ASSET: usd(10_000),
        AccountClass.LIABILITY: usd(9_900),
        AccountClass.INCOME: usd(100),
    }


def test_verify_names_each_broken_invariant():
    report = verify_ledger(
        [account("a", 10_001), account("b", 50, held=60)],
        [
            txn("t1", ("a", 10_000), (CASH_ACCOUNT_ID, -10_000)),
            txn("t2", ("b", 50), (CASH_ACCOUNT_ID, -40)),
            txn("t3", ("ghost", 5), (CASH_ACCOUNT_ID, -5)),
        ],
    )
    text = "\n".join(report.problems)
    assert "t2 does not balance" in text
    assert "account a: stored balance" in text
    assert "account b: available" in text and "below its floor" in text
    assert "account b: held 0.60 != its open holds 0.00" in text
    assert "unknown account ghost" in text
    assert "trial balance does not balance" in text
