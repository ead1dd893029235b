"""How a posting finds its accounts on every store: ids that follow from account numbers,
the owner's name the other side sees, one read for everything a posting starts from, and
postings built from an old read landing on the current state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import balance, elsewhere, forget_schema_version, new_customer
from flaskbank.domain import ledger
from flaskbank.domain.accounts import (
    Account,
    AccountStatus,
    AccountType,
    account_id_for,
    new_account_number,
)
from flaskbank.domain.errors import AccountNotOpen, InsufficientFunds, UnknownRecipient
from flaskbank.domain.money import Money
from flaskbank.services import accounts, customers, postings
from flaskbank.services.ledger_checks import verify


def test_an_accounts_id_follows_from_its_number(bank):
    ada = new_customer(bank)
    savings = accounts.open_account(bank, ada.user_id, type="savings")
    for acc in bank.store.ledger.accounts_of(ada.user_id):
        assert acc.id == account_id_for(acc.number)
    assert {ada.account_id, savings.id} == {
        a.id for a in bank.store.ledger.accounts_of(ada.user_id)
    }
    assert account_id_for(savings.number) != account_id_for(new_account_number())


def test_an_account_opened_before_ids_followed_numbers_receives_by_number_once_migrated(bank):
    ada = new_customer(bank, deposit="30.00")
    bob = new_customer(bank, "Bob Babbage")
    legacy = Account(
        id=ledger.new_id(),
        number=new_account_number(),
        user_id=bob.user_id,
        type=AccountType.SAVINGS,
        currency="USD",
        balance=Money.of("0"),
        status=AccountStatus.OPEN,
        opened_at=bank.now(),
        owner_name="Bob Babbage",
    )
    bank.store.ledger.add_account(legacy)
    forget_schema_version(bank.store)
    assert bank.store.init_schema().applied  # DynamoDB: an alias at the derived key
    result = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="12.50", to_account_number=legacy.number
    )
    assert balance(bank, legacy.id) == Decimal("12.50")
    # The sender sees the recipient masked (domain.recipients): "Bob B. · •••• 1234".
    assert "Bob B." in result.transaction.entry_for(ada.account_id).counterparty
    assert verify(bank).problems == []


def test_accounts_carry_their_owners_name_and_a_rename_reaches_the_next_transfer(bank):
    ada = new_customer(bank, "Ada Lovelace", deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    savings = accounts.open_account(bank, bob.user_id, type="savings")
    assert {a.owner_name for a in bank.store.ledger.accounts_of(bob.user_id)} == {"Bob Babbage"}
    first = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="1", to_account_number=bob.account_number
    )
    customers.update_profile(bank, bob.user_id, full_name="Robert Babbage")
    assert bank.store.ledger.get_account(savings.id).owner_name == "Robert Babbage"
    assert (
        bank.store.ledger.find_account_by_number(bob.account_number).owner_name == "Robert Babbage"
    )
    second = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="1", to_account_number=savings.number
    )
    back = postings.transfer(
        bank, bob.user_id, bob.account_id, amount="1", to_account_number=ada.account_number
    )
    # What was posted keeps the name of its day; what is posted after the rename has the new.
    assert first.transaction.entry_for(ada.account_id).counterparty.startswith("Bob B.")
    assert second.transaction.entry_for(ada.account_id).counterparty.startswith("Robert")
    assert back.transaction.entry_for(ada.account_id).counterparty.startswith("Robert")


def test_an_email_change_keeps_the_accounts_name(bank):
    ada = new_customer(bank, "Ada Lovelace")
    customers.update_profile(
        bank, ada.user_id, email="countess@example.com", current_password=ada.password
    )
    assert bank.store.ledger.get_account(ada.account_id).owner_name == "Ada Lovelace"


def test_one_read_gives_the_accounts_and_what_a_key_already_holds(bank):
    ada = new_customer(bank, deposit="5.00")
    bob = new_customer(bank, "Bob Babbage")
    found = bank.store.ledger.read_for_posting(
        [ada.account_id, bob.account_id, "no-such-id", ada.account_id],
        idempotency=(ada.user_id, "k"),
    )
    assert set(found.accounts) == {ada.account_id, bob.account_id}
    assert found.accounts[ada.account_id].balance == Money.of("5.00")
    assert found.accounts[bob.account_id].owner_name == "Bob Babbage"
    assert found.earlier is None
    done = postings.deposit(bank, ada.user_id, ada.account_id, amount="1", idempotency_key="k")
    again = bank.store.ledger.read_for_posting([], idempotency=(ada.user_id, "k"))
    assert again.accounts == {} and again.earlier is not None
    assert again.earlier[1] == done.transaction
    assert bank.store.ledger.read_for_posting([], idempotency=(bob.user_id, "k")).earlier is None


def test_a_transfer_built_from_an_old_read_lands_on_the_current_balances(bank):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage", deposit="7.00")
    old_ada, old_bob = (bank.store.ledger.get_account(c.account_id) for c in (ada, bob))
    postings.deposit(bank, ada.user_id, ada.account_id, amount="10")  # both move meanwhile
    postings.withdraw(bank, bob.user_id, bob.account_id, amount="2")
    posting = ledger.transfer(
        old_ada,
        old_bob,
        Money.of("5"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
        source_label="to Bob",
        target_label="from Ada",
    )
    txn = bank.store.ledger.post(posting).transaction
    assert str(txn.entry_for(ada.account_id).balance_after) == "55.00"
    assert str(txn.entry_for(bob.account_id).balance_after) == "10.00"
    assert (balance(bank, ada.account_id), balance(bank, bob.account_id)) == (55, 10)
    assert verify(bank).problems == []


def test_an_old_read_that_could_not_pay_is_judged_on_the_current_balance(bank):
    """Built from a copy showing 0.00 (bypassing the domain's own check), after a deposit:
    the store judges the balance the write lands on, not the copy."""
    ada = new_customer(bank)
    bank.store.ledger.get_account(ada.account_id)  # read at 0.00 on this thread
    elsewhere(lambda: postings.deposit(bank, ada.user_id, ada.account_id, amount="8"))
    posting = ledger.Posting(
        ledger.new_id(),
        ledger.TransactionType.WITHDRAWAL,
        Money.of("3"),
        (ledger.Leg(ada.account_id, Money.of("-3")), ledger.Leg("bank-cash", Money.of("3"))),
        "",
        bank.now(),
        ada.user_id,
    )
    txn = bank.store.ledger.post(posting).transaction
    assert str(txn.entry_for(ada.account_id).balance_after) == "5.00"
    assert verify(bank).problems == []


def test_an_old_read_does_not_let_a_frozen_or_emptied_account_pay(bank):
    ada = new_customer(bank, deposit="10.00")
    bob = new_customer(bank, "Bob Babbage", deposit="10.00")
    old_ada, old_bob = (bank.store.ledger.get_account(c.account_id) for c in (ada, bob))
    bank.store.ledger.set_account_status(ada.account_id, AccountStatus.FROZEN, "review")
    postings.withdraw(bank, bob.user_id, bob.account_id, amount="9")
    with pytest.raises(AccountNotOpen):
        bank.store.ledger.post(
            ledger.withdrawal(old_ada, Money.of("1"), memo="", at=bank.now(), by=ada.user_id)
        )
    with pytest.raises(InsufficientFunds):
        bank.store.ledger.post(
            ledger.withdrawal(old_bob, Money.of("5"), memo="", at=bank.now(), by=bob.user_id)
        )
    assert (balance(bank, ada.account_id), balance(bank, bob.account_id)) == (10, 1)
    assert verify(bank).problems == []


def test_one_read_also_gives_the_accounts_behind_an_email(bank):
    bob = new_customer(bank, "Bob Babbage")
    savings = accounts.open_account(bank, bob.user_id, type="savings", currency="EUR")
    found = bank.store.ledger.read_for_posting([], recipient_email=f"  {bob.email.upper()} ")
    assert [a.id for a in found.recipients or []] == [bob.account_id, savings.id]
    assert found.recipients[0].owner_name == "Bob Babbage"
    assert (
        bank.store.ledger.read_for_posting([], recipient_email="nobody@example.com").recipients
        == []
    )
    assert bank.store.ledger.read_for_posting([bob.account_id]).recipients is None


def test_after_an_email_change_transfers_follow_the_new_email(bank):
    ada = new_customer(bank, deposit="30.00")
    bob = new_customer(bank, "Bob Babbage", currency="EUR")
    customers.update_profile(
        bank, bob.user_id, email="robert@example.com", current_password=bob.password
    )
    usd = accounts.open_account(bank, bob.user_id, type="savings")  # opened after the change
    postings.transfer(bank, ada.user_id, ada.account_id, amount="10", to_email="Robert@example.com")
    assert balance(bank, usd.id) == Decimal("10.00")
    with pytest.raises(UnknownRecipient):
        postings.transfer(bank, ada.user_id, ada.account_id, amount="1", to_email=bob.email)
    assert balance(bank, ada.account_id) == Decimal("20.00")
