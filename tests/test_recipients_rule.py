"""The rule for where money sent to an email lands, and how a sender sees a recipient: pure
functions (domain/recipients.py) that both stores' results go through."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flaskbank.domain.accounts import Account, AccountStatus, AccountType
from flaskbank.domain.money import Money
from flaskbank.domain.recipients import account_ending, masked_label, masked_name, primary_account


def _account(n: int, type: AccountType = AccountType.CHECKING, **changes: object) -> Account:
    base = Account(
        id=f"a{n}",
        number=f"10000000000{n}",
        user_id="u",
        type=type,
        currency="USD",
        balance=Money.of("0"),
        status=AccountStatus.OPEN,
        opened_at=f"2025-01-0{n}T00:00:00Z",
        owner_name="Alice Martin",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_oldest_open_checking_account_by_default_whatever_the_order():
    savings, checking, later = (
        _account(1, AccountType.SAVINGS),
        _account(2),
        _account(3),
    )
    assert primary_account([later, savings, checking]) == checking
    assert primary_account([savings]) == savings
    assert primary_account([]) is None


def test_the_chosen_account_wins_while_it_is_open_and_in_the_currency():
    first, chosen = _account(1), _account(2, AccountType.SAVINGS, primary=True)
    assert primary_account([first, chosen]) == chosen
    assert primary_account([first, replace(chosen, status=AccountStatus.CLOSED)]) == first
    assert primary_account([first, replace(chosen, status=AccountStatus.FROZEN)]) == first
    assert primary_account([first, replace(chosen, currency="EUR")], "USD") == first
    assert primary_account([first, replace(chosen, currency="EUR")], "EUR").currency == "EUR"
    assert primary_account([replace(first, status=AccountStatus.CLOSED)]) is None


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Alice Martin", "Alice M."), ("Jean Paul Sartre", "Jean S."), ("Cher", "Cher"), ("", "")],
)
def test_masked_names(name, masked):
    assert masked_name(name) == masked


def test_a_masked_label_shows_the_last_four_digits_only():
    account = _account(1)
    assert account_ending("123456789012") == "•••• 9012"
    assert masked_label(account) == "Alice M. · •••• 0001"
    assert masked_label(replace(account, owner_name="")) == "•••• 0001"
