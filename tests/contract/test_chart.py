"""The chart of accounts on both stores: every internal account takes postings of either
sign with no stored balance, and verify's trial balance follows them."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain import chart, ledger
from flaskbank.domain.accounts import CASH_ACCOUNT_ID
from flaskbank.domain.money import Money
from flaskbank.domain.verification import AccountClass
from flaskbank.services.ledger_checks import verify


def _post(bank, legs, type=ledger.TransactionType.TRANSFER):
    amount = max((m for _, m in legs), key=lambda m: m.amount)
    posting = ledger.Posting(
        ledger.new_id(),
        type,
        amount,
        tuple(ledger.Leg(acc, m) for acc, m in legs),
        "",
        bank.now(),
        "test",
    )
    return bank.store.ledger.post(posting).transaction


@pytest.mark.parametrize("internal", sorted(chart.INTERNAL_ACCOUNTS))
def test_an_internal_account_takes_either_sign_and_keeps_no_balance(bank, internal):
    who = new_customer(bank, deposit="100.00")
    fee = Money.of("2.50")
    charged = _post(bank, [(who.account_id, -fee), (internal, fee)])
    assert charged.entry_for(internal).balance_after is None
    assert charged.entry_for(who.account_id).balance_after == Money.of("97.50")
    _post(bank, [(internal, -fee - fee), (who.account_id, fee + fee)])  # below zero is fine
    report = verify(bank)
    assert report.problems == []
    line = {x.name: x for x in report.trial_balances["USD"].lines}[
        chart.INTERNAL_ACCOUNTS[internal].name
    ]
    expected = Money.of("-100.00") if internal == CASH_ACCOUNT_ID else Money.zero("USD")
    assert line.total == expected - fee


def test_the_trial_balance_follows_fees_and_interest(bank):
    who = new_customer(bank, deposit="1000.00")
    _post(bank, [(who.account_id, -Money.of("12.00")), (chart.FEE_INCOME_ID, Money.of("12.00"))])
    _post(
        bank,
        [(chart.INTEREST_INCOME_ID, -Money.of("3.21")), (who.account_id, Money.of("3.21"))],
    )
    tb = verify(bank).trial_balances["USD"]
    assert tb.balances and tb.debits == Money.of("1003.21")
    assert tb.by_class()[AccountClass.INCOME] == Money.of("8.79")
    assert tb.by_class()[AccountClass.LIABILITY] == Money.of("991.21")
