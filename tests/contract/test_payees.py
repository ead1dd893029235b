"""Saved payees on every store: kept per customer, renamed, removed, paid; never another
customer's (not found), and checked when saved (an account number's check digit)."""

from __future__ import annotations

import threading

import pytest

from conftest import balance, new_customer
from flaskbank.domain.accounts import luhn_check_digit
from flaskbank.domain.errors import (
    NotPermitted,
    PayeeNotFound,
    UnknownRecipient,
    ValidationFailed,
)
from flaskbank.domain.payees import MAX_PAYEES_PER_CUSTOMER
from flaskbank.services import customers, payees, postings
from test_staff_support import make_staff


def test_payees_are_kept_renamed_and_removed(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    by_number = payees.add_payee(
        bank, ada.user_id, nickname=" Bob ", account_number=" ".join([bob.account_number])
    )
    by_email = payees.add_payee(bank, ada.user_id, nickname="Bob by mail", email=bob.email)
    assert (by_number.nickname, by_number.number, by_number.email) == (
        "Bob",
        bob.account_number,
        "",
    )
    assert (by_email.number, by_email.email) == ("", bob.email)
    assert payees.payees_of(bank, ada.user_id) == [by_number, by_email]
    renamed = payees.rename_payee(bank, ada.user_id, by_number.id, "Landlord")
    assert renamed.nickname == "Landlord"
    assert payees.payee_of(bank, ada.user_id, by_number.id).nickname == "Landlord"
    payees.remove_payee(bank, ada.user_id, by_email.id)
    assert [p.id for p in payees.payees_of(bank, ada.user_id)] == [by_number.id]
    with pytest.raises(PayeeNotFound):
        payees.remove_payee(bank, ada.user_id, by_email.id)


def test_another_customers_payee_is_not_found(bank):
    ada = new_customer(bank)
    eve = new_customer(bank, "Eve Hacker")
    mine = payees.add_payee(bank, ada.user_id, nickname="Rent", account_number=eve.account_number)
    assert payees.payees_of(bank, eve.user_id) == []
    for attempt in (
        lambda: payees.payee_of(bank, eve.user_id, mine.id),
        lambda: payees.rename_payee(bank, eve.user_id, mine.id, "mine"),
        lambda: payees.remove_payee(bank, eve.user_id, mine.id),
        lambda: payees.payee_of(bank, eve.user_id, "x" * 5000),
        lambda: postings.transfer(
            bank, eve.user_id, eve.account_id, amount="1.00", payee_id=mine.id
        ),
    ):
        with pytest.raises(PayeeNotFound):
            attempt()
    assert payees.payee_of(bank, ada.user_id, mine.id).nickname == "Rent"


def _with_wrong_check_digit(number: str) -> str:
    wrong = str((int(luhn_check_digit(number[:-1])) + 1) % 10)
    return number[:-1] + wrong


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"nickname": "", "account_number": "x"}, "nickname", "give a nickname"),
        ({"nickname": "n" * 41, "email": "a@b.example"}, "nickname", "at most 40"),
        ({"nickname": "Bob"}, "account_number", "account number or email"),
        ({"nickname": "Bob", "account_number": "1234"}, "account_number", "check the digits"),
        ({"nickname": "Bob", "email": "not-an-email"}, "email", "name@example.com"),
        ({"nickname": "Bob", "email": "b\u043eb@example.com"}, "email", "plain Latin"),
        (
            {"nickname": "Bob", "email": "b@example.com", "account_number": "1"},
            "account_number",
            "not both",
        ),
    ],
)
def test_a_payee_is_checked_when_saved(bank, fields, field, message):
    ada = new_customer(bank)
    with pytest.raises(ValidationFailed) as refused:
        payees.add_payee(bank, ada.user_id, **fields)
    assert message in refused.value.errors[field]
    assert payees.payees_of(bank, ada.user_id) == []


def test_a_mistyped_check_digit_is_caught(bank):
    ada = new_customer(bank)
    with pytest.raises(ValidationFailed, match="check the digits"):
        payees.add_payee(
            bank,
            ada.user_id,
            nickname="Bob",
            account_number=_with_wrong_check_digit(ada.account_number),
        )


def test_paying_a_payee(bank):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    payee = payees.add_payee(bank, ada.user_id, nickname="Bob", email=bob.email)
    result = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="5.00", payee_id=payee.id, idempotency_key="k1"
    )
    again = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="5.00", payee_id=payee.id, idempotency_key="k1"
    )
    assert again.replayed and again.transaction.id == result.transaction.id
    assert str(balance(bank, bob.account_id)) == "5.00"
    with pytest.raises(ValidationFailed, match="not both"):
        postings.transfer(
            bank,
            ada.user_id,
            ada.account_id,
            amount="5.00",
            payee_id=payee.id,
            to_account_number=bob.account_number,
        )


def test_a_payee_whose_email_nobody_has_is_refused_when_paid(bank):
    ada = new_customer(bank, deposit="50.00")
    payee = payees.add_payee(bank, ada.user_id, nickname="Ghost", email="nobody@example.com")
    with pytest.raises(UnknownRecipient):
        postings.transfer(bank, ada.user_id, ada.account_id, amount="5.00", payee_id=payee.id)


def test_payees_saved_at_once_do_not_pass_the_limit(bank):
    ada = new_customer(bank)
    for n in range(MAX_PAYEES_PER_CUSTOMER - 2):
        payees.add_payee(bank, ada.user_id, nickname=f"p{n}", email=f"p{n}@example.com")
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def add(n: int) -> None:
        start.wait()
        try:
            payees.add_payee(bank, ada.user_id, nickname=f"q{n}", email=f"q{n}@example.com")
            outcomes.append("saved")
        except ValidationFailed:
            outcomes.append("refused")

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "refused", "saved", "saved"]
    assert len(payees.payees_of(bank, ada.user_id)) == MAX_PAYEES_PER_CUSTOMER


def test_a_customer_with_payees_and_no_account_can_be_removed_and_their_payees_go(bank):
    user = customers.register(
        bank, email="nora@example.com", full_name="Nora Noaccount", password="nora's password"
    )
    kept = [
        payees.add_payee(bank, user.id, nickname=f"Bob {n}", email=f"bob{n}@example.com")
        for n in range(3)
    ]
    payees.remove_payee(bank, user.id, kept[0].id)
    bank.store.users.remove_user(user.id, version=bank.store.users.get_user(user.id).version)
    assert bank.store.users.get_user(user.id) is None
    assert bank.store.payees.payees_of(user.id) == []
    assert [bank.store.payees.get_payee(user.id, p.id) for p in kept] == [None, None, None]


def test_staff_keep_no_payees(bank):
    admin = make_staff(bank, "admin", ready=False)
    with pytest.raises(NotPermitted):
        payees.add_payee(bank, admin.id, nickname="Bob", email="bob@example.com")
