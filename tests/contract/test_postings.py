"""Postings on every store: deposits, withdrawals, transfers, their refusals, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import balance, new_customer
from flaskbank.domain.accounts import AccountStatus
from flaskbank.domain.errors import (
    AccountNotFound,
    AccountNotOpen,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    SameAccount,
    UnknownRecipient,
    ValidationFailed,
)
from flaskbank.domain.money import Money
from flaskbank.services import accounts, history, postings
from flaskbank.services.ledger_checks import verify


def entry_count(bank, account_id: str) -> int:
    return len(bank.store.ledger.history(account_id, limit=100).items)


def test_deposit_then_withdraw_moves_the_balance_and_records_balance_after(bank):
    ada = new_customer(bank)
    dep = postings.deposit(bank, ada.user_id, ada.account_id, amount="100.50", memo="pay")
    wdr = postings.withdraw(bank, ada.user_id, ada.account_id, amount="0.51")
    assert balance(bank, ada.account_id) == Decimal("99.99")
    assert str(dep.transaction.entry_for(ada.account_id).balance_after) == "100.50"
    assert str(wdr.transaction.entry_for(ada.account_id).balance_after) == "99.99"
    assert str(wdr.transaction.entry_for(ada.account_id).amount) == "-0.51"
    assert verify(bank).problems == []


def test_withdrawal_beyond_the_balance_is_refused_and_changes_nothing(bank):
    ada = new_customer(bank, deposit="10.00")
    with pytest.raises(InsufficientFunds):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="10.01")
    assert balance(bank, ada.account_id) == Decimal("10.00")
    assert entry_count(bank, ada.account_id) == 1


def test_the_whole_balance_can_be_withdrawn_to_exactly_zero(bank):
    ada = new_customer(bank, deposit="10.00")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="10.00")
    assert balance(bank, ada.account_id) == 0


@pytest.mark.parametrize(
    "amount",
    [
        "0",
        "0.00",
        "-1",
        "1.234",
        "abc",
        "1e3",
        "NaN",
        " ",
        "",
        "10000.01",
        "Infinity",
        12.5,
        12,
        None,
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(bank, amount):
    ada = new_customer(bank, deposit="50.00")
    with pytest.raises(InvalidAmount):
        postings.deposit(bank, ada.user_id, ada.account_id, amount=amount)
    with pytest.raises(InvalidAmount):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount=amount)
    assert balance(bank, ada.account_id) == Decimal("50.00")
    assert entry_count(bank, ada.account_id) == 1


def test_the_per_transaction_limit_is_inclusive(bank):
    ada = new_customer(bank)
    postings.deposit(bank, ada.user_id, ada.account_id, amount="10000.00")
    assert balance(bank, ada.account_id) == Decimal("10000.00")


def test_transfer_by_number_posts_both_sides_with_labels_and_memo(bank):
    ada = new_customer(bank, "Ada Lovelace", deposit="100.00")
    bob = new_customer(bank, "Bob Babbage")
    result = postings.transfer(
        bank,
        ada.user_id,
        ada.account_id,
        amount="40.00",
        to_account_number=bob.account_number,
        memo="Lunch",
    )
    txn = result.transaction
    assert balance(bank, ada.account_id) == Decimal("60.00")
    assert balance(bank, bob.account_id) == Decimal("40.00")
    assert str(txn.entry_for(ada.account_id).amount) == "-40.00"
    # The sender sees the recipient masked; the recipient sees the sender's name.
    assert "Bob B. · ••••" in txn.entry_for(ada.account_id).counterparty
    assert "Ada Lovelace" in txn.entry_for(bob.account_id).counterparty
    (line,) = history.history(bank, bob.user_id, bob.account_id)[1].items
    assert (line.memo, str(line.balance_after)) == ("Lunch", "40.00")


def test_transfer_accepts_a_typed_number_with_spaces(bank):
    ada = new_customer(bank, deposit="5.00")
    bob = new_customer(bank, "Bob Babbage")
    typed = " ".join(bob.account_number[i : i + 4] for i in range(0, 12, 4))
    postings.transfer(bank, ada.user_id, ada.account_id, amount="5", to_account_number=typed)
    assert balance(bank, bob.account_id) == Decimal("5.00")


def test_a_mistyped_account_number_is_caught_by_the_check_digit(bank):
    ada = new_customer(bank, deposit="5.00")
    bob = new_customer(bank, "Bob Babbage")
    wrong = bob.account_number[:-1] + str((int(bob.account_number[-1]) + 1) % 10)
    with pytest.raises(ValidationFailed) as err:
        postings.transfer(bank, ada.user_id, ada.account_id, amount="5", to_account_number=wrong)
    assert "to_account_number" in err.value.errors


def test_transfer_by_email_goes_to_the_first_open_account_in_the_currency(bank):
    ada = new_customer(bank, deposit="20.00")
    bob = new_customer(bank, "Bob Babbage", currency="EUR")
    second = accounts.open_account(bank, bob.user_id, type="savings")  # USD
    postings.transfer(bank, ada.user_id, ada.account_id, amount="20", to_email=bob.email.upper())
    assert balance(bank, second.id) == Decimal("20.00")
    assert balance(bank, bob.account_id) == 0


def test_transfer_by_email_without_a_matching_account_is_refused(bank):
    ada = new_customer(bank, deposit="20.00")
    bob = new_customer(bank, "Bob Babbage", currency="EUR")
    for email in (bob.email, "nobody@example.com"):
        with pytest.raises(UnknownRecipient):
            postings.transfer(bank, ada.user_id, ada.account_id, amount="1", to_email=email)
    assert balance(bank, ada.account_id) == Decimal("20.00")


def test_transfer_to_the_same_account_is_refused(bank):
    ada = new_customer(bank, deposit="20.00")
    with pytest.raises(SameAccount):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1", to_account_number=ada.account_number
        )


def test_a_failed_transfer_changes_neither_side(bank):
    ada = new_customer(bank, deposit="20.00")
    bob = new_customer(bank, "Bob Babbage", deposit="1.00")
    with pytest.raises(InsufficientFunds):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="20.01", to_account_number=bob.account_number
        )
    assert (balance(bank, ada.account_id), balance(bank, bob.account_id)) == (20, 1)
    assert entry_count(bank, bob.account_id) == 1


def test_a_frozen_account_cannot_send_but_nothing_is_posted(bank):
    ada = new_customer(bank, deposit="20.00")
    bob = new_customer(bank, "Bob Babbage")
    bank.store.ledger.set_account_status(ada.account_id, AccountStatus.FROZEN)
    with pytest.raises(AccountNotOpen):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1", to_account_number=bob.account_number
        )
    with pytest.raises(AccountNotOpen):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="1")
    assert balance(bank, ada.account_id) == Decimal("20.00")


def test_the_store_rechecks_funds_at_commit_even_if_the_domain_check_was_stale(bank):
    """Two postings built from the same snapshot: the second must not overdraw."""
    from flaskbank.domain import ledger

    ada = new_customer(bank, deposit="10.00")
    snapshot = bank.store.ledger.get_account(ada.account_id)
    first = ledger.withdrawal(snapshot, snapshot.balance, memo="", at=bank.now(), by=ada.user_id)
    second = ledger.withdrawal(snapshot, snapshot.balance, memo="", at=bank.now(), by=ada.user_id)
    bank.store.ledger.post(first)
    with pytest.raises(InsufficientFunds):
        bank.store.ledger.post(second)
    assert balance(bank, ada.account_id) == 0
    assert verify(bank).problems == []


def test_another_customers_account_is_not_found(bank):
    ada = new_customer(bank, deposit="10.00")
    eve = new_customer(bank, "Eve Intruder")
    for call in (
        lambda: postings.withdraw(bank, eve.user_id, ada.account_id, amount="1"),
        lambda: postings.deposit(bank, eve.user_id, ada.account_id, amount="1"),
        lambda: postings.transfer(
            bank, eve.user_id, ada.account_id, amount="1", to_account_number=eve.account_number
        ),
        lambda: history.history(bank, eve.user_id, ada.account_id),
        lambda: history.statement(bank, eve.user_id, ada.account_id, "2026-01"),
        lambda: accounts.account_of(bank, eve.user_id, "no-such-id"),
    ):
        with pytest.raises(AccountNotFound):
            call()
    assert balance(bank, ada.account_id) == Decimal("10.00")


def test_the_same_idempotency_key_and_request_posts_once(bank):
    ada = new_customer(bank, deposit="10.00")
    bob = new_customer(bank, "Bob Babbage")
    kwargs = dict(
        amount="3.00", to_account_number=bob.account_number, memo="x", idempotency_key="retry-1"
    )
    first = postings.transfer(bank, ada.user_id, ada.account_id, **kwargs)
    again = postings.transfer(bank, ada.user_id, ada.account_id, **kwargs)
    assert not first.replayed and again.replayed
    assert again.transaction == first.transaction
    assert balance(bank, bob.account_id) == Decimal("3.00")
    assert entry_count(bank, bob.account_id) == 1


def test_a_replay_is_answered_even_after_the_balance_moved(bank):
    ada = new_customer(bank, deposit="10.00")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="10.00", idempotency_key="k")
    again = postings.withdraw(
        bank, ada.user_id, ada.account_id, amount="10.00", idempotency_key="k"
    )
    assert again.replayed and balance(bank, ada.account_id) == 0


def test_the_same_key_with_a_different_request_is_a_conflict(bank):
    ada = new_customer(bank, deposit="10.00")
    postings.deposit(bank, ada.user_id, ada.account_id, amount="1.00", idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="2.00", idempotency_key="k")
    assert balance(bank, ada.account_id) == Decimal("11.00")


def test_idempotency_keys_are_scoped_per_customer(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    postings.deposit(bank, ada.user_id, ada.account_id, amount="1.00", idempotency_key="k")
    postings.deposit(bank, bob.user_id, bob.account_id, amount="1.00", idempotency_key="k")
    assert balance(bank, bob.account_id) == Decimal("1.00")


def test_the_store_itself_refuses_a_second_posting_under_one_key(bank):
    """The service checks first, but two racing requests both pass that check: the store
    must hold the line atomically."""
    from dataclasses import replace

    from flaskbank.domain import ledger
    from flaskbank.domain.ledger import IdempotencyKey

    ada = new_customer(bank)
    acc = bank.store.ledger.get_account(ada.account_id)
    key = IdempotencyKey(ada.user_id, "race", "fp-1")
    one = ledger.deposit(acc, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
    two = ledger.deposit(acc, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
    bank.store.ledger.post(replace(one, idempotency=key))
    assert bank.store.ledger.post(replace(two, idempotency=key)).replayed
    with pytest.raises(IdempotencyConflict):
        bank.store.ledger.post(replace(two, idempotency=replace(key, fingerprint="fp-2")))
    assert balance(bank, ada.account_id) == Decimal("5.00")


def test_currencies_never_mix(bank):
    ada = new_customer(bank, deposit="10.00")
    bob = new_customer(bank, "Bob Babbage", currency="EUR")
    with pytest.raises(InvalidAmount):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1", to_account_number=bob.account_number
        )


def test_a_store_failure_writes_nothing_and_says_so(bank, store_kind):
    """A failure of the store itself (here: SQLite refusing to write to a read-only
    database) is the store's StoreError, and the posting is wholly absent."""
    if store_kind != "sqlite":
        pytest.skip("this failure is staged through SQLite's query_only switch")
    from flaskbank.domain.errors import StoreError

    ada = new_customer(bank, deposit="10.00")
    bank.store.database.conn.execute("PRAGMA query_only=ON")
    try:
        with pytest.raises(StoreError):
            postings.withdraw(bank, ada.user_id, ada.account_id, amount="1.00")
    finally:
        bank.store.database.conn.execute("PRAGMA query_only=OFF")
    assert balance(bank, ada.account_id) == Decimal("10.00")
    assert entry_count(bank, ada.account_id) == 1
