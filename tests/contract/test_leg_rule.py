"""The rules for a customer account's side of a posting (chart.check_debit and
chart.check_credit), against both stores: a store refuses exactly the postings the rules
refuse, with the same error, and a refused posting changes nothing. Postings are built by
hand, past the services' own checks, so that only the store's re-check at commit stands
between them and the ledger."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import new_customer
from flaskbank.domain import chart, holds, ledger
from flaskbank.domain.accounts import CASH_ACCOUNT_ID, AccountStatus
from flaskbank.domain.errors import BankError
from flaskbank.domain.money import Money


def _verdict(action: object) -> type[BankError] | None:
    try:
        action()  # type: ignore[operator]
    except BankError as e:
        return type(e)
    return None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.sampled_from(list(AccountStatus)),
    balance=st.integers(min_value=0, max_value=5_000),
    held_share=st.integers(min_value=0, max_value=100),
    amount=st.integers(min_value=1, max_value=6_000),
    credit=st.booleans(),
)
def test_a_store_refuses_exactly_what_the_rule_refuses(
    bank, status, balance, held_share, amount, credit
):
    deposit = str(Money.from_minor(balance, "USD")) if balance else None
    who = new_customer(bank, deposit=deposit)
    held = Money.from_minor(balance * held_share // 100, "USD")
    if held.is_positive():  # part of the balance on hold, placed while the account was open
        account = bank.store.ledger.get_account(who.account_id)
        bank.store.holds.place(
            holds.staff_hold(account, held, reason="t", by="t", at=bank.now(), expires_at=None)
        )
    if status is not AccountStatus.OPEN:
        bank.store.ledger.set_account_status(who.account_id, status, "test")
    money = Money.from_minor(amount, "USD")
    side = money if credit else -money
    before = Money.from_minor(balance, "USD")
    standing = chart.Standing(before, held, status, chart.NEVER_NEGATIVE, who.account_number)
    expected = _verdict(lambda: chart.check_leg(standing, side))
    posting = ledger.Posting(
        ledger.new_id(),
        ledger.TransactionType.DEPOSIT if credit else ledger.TransactionType.WITHDRAWAL,
        money,
        (ledger.Leg(who.account_id, side), ledger.Leg(CASH_ACCOUNT_ID, -side)),
        "",
        bank.now(),
        who.user_id,
    )
    assert _verdict(lambda: bank.store.ledger.post(posting)) is expected
    after = bank.store.ledger.get_account(who.account_id).balance
    assert after == (before if expected else before + side)
