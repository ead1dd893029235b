"""Account housekeeping on every store: nicknames, the primary account that money sent to an
email lands in, closing an account, and the limit on open accounts, also when two accounts
are opened at the same moment."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conftest import at, new_customer
from flaskbank.domain import ledger
from flaskbank.domain.accounts import AccountStatus
from flaskbank.domain.errors import (
    AccountNotEmpty,
    AccountNotFound,
    AccountNotOpen,
    TooManyAccounts,
    ValidationFailed,
)
from flaskbank.domain.ledger import Closing
from flaskbank.domain.money import Money
from flaskbank.domain.security import AuditAction
from flaskbank.services import accounts, postings
from flaskbank.services.audit import Actor


def _send_by_email(bank, sender, recipient_email, amount="1.00"):
    return postings.transfer(
        bank, sender.user_id, sender.account_id, amount=amount, to_email=recipient_email
    )


def _landed(result, sender) -> str:
    [other] = [e for e in result.transaction.entries if e.account_id != sender.account_id]
    return other.account_id


def test_money_sent_by_email_lands_in_the_oldest_checking_account_until_one_is_chosen(bank):
    ada = new_customer(bank, "Ada Lovelace", deposit="50.00")
    # Bob's first account is savings; his checking account comes later.
    with at(bank, datetime(2025, 1, 1, tzinfo=UTC)):
        bob = new_customer(bank, "Bob Babbage")
    savings = accounts.open_account(bank, bob.user_id, type="savings")
    checking = accounts.open_account(bank, bob.user_id, type="checking")
    assert _landed(_send_by_email(bank, ada, bob.email), ada) == bob.account_id  # oldest checking

    accounts.choose_primary(bank, bob.user_id, savings.id)
    assert {a.id for a in bank.store.ledger.accounts_of(bob.user_id) if a.primary} == {savings.id}
    assert _landed(_send_by_email(bank, ada, bob.email), ada) == savings.id

    accounts.choose_primary(bank, bob.user_id, checking.id)
    assert {a.id for a in bank.store.ledger.accounts_of(bob.user_id) if a.primary} == {checking.id}
    assert _landed(_send_by_email(bank, ada, bob.email.upper()), ada) == checking.id


def test_a_closed_primary_account_no_longer_receives(bank):
    ada = new_customer(bank, "Ada Lovelace", deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    savings = accounts.open_account(bank, bob.user_id, type="savings")
    accounts.choose_primary(bank, bob.user_id, savings.id)
    accounts.close_account(bank, Actor(bob.user_id, bob.email, "127.0.0.1"), savings.id)
    assert _landed(_send_by_email(bank, ada, bob.email), ada) == bob.account_id


def test_the_sender_sees_a_masked_name_and_the_last_four_digits(bank):
    ada = new_customer(bank, "Ada Lovelace", deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    for how in ({"to_email": bob.email}, {"to_account_number": bob.account_number}):
        result = postings.transfer(bank, ada.user_id, ada.account_id, amount="1.00", **how)
        seen = result.transaction.entry_for(ada.account_id).counterparty
        assert seen == f"Bob B. · •••• {bob.account_number[-4:]}"
        assert bob.account_number not in seen
    [line, *_] = bank.store.ledger.history(ada.account_id, limit=5).items
    assert line.counterparty == f"Bob B. · •••• {bob.account_number[-4:]}"


def test_only_ones_own_open_account_can_be_primary(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    with pytest.raises(AccountNotFound):
        accounts.choose_primary(bank, ada.user_id, bob.account_id)
    savings = accounts.open_account(bank, ada.user_id, type="savings")
    accounts.close_account(bank, Actor(ada.user_id, ada.email, "127.0.0.1"), savings.id)
    with pytest.raises(ValidationFailed):
        accounts.choose_primary(bank, ada.user_id, savings.id)


def test_a_nickname_is_kept_cleaned_and_removable(bank):
    ada = new_customer(bank)
    renamed = accounts.rename_account(bank, ada.user_id, ada.account_id, "  Holiday   fund ")
    assert renamed.nickname == "Holiday fund"
    assert bank.store.ledger.get_account(ada.account_id).nickname == "Holiday fund"
    assert bank.store.ledger.accounts_of(ada.user_id)[0].nickname == "Holiday fund"
    with pytest.raises(ValidationFailed) as refused:
        accounts.rename_account(bank, ada.user_id, ada.account_id, "x" * 41)
    assert "40" in refused.value.errors["nickname"]
    with pytest.raises(ValidationFailed):
        accounts.rename_account(bank, ada.user_id, ada.account_id, "bad\u202ename")
    accounts.rename_account(bank, ada.user_id, ada.account_id, "")
    assert bank.store.ledger.get_account(ada.account_id).nickname == ""
    bob = new_customer(bank, "Bob Babbage")
    with pytest.raises(AccountNotFound):
        accounts.rename_account(bank, bob.user_id, ada.account_id, "mine now")


def test_an_account_closes_only_empty_and_stays_readable(bank):
    ada = new_customer(bank, deposit="10.00")
    actor = Actor(ada.user_id, ada.email, "127.0.0.1")
    with pytest.raises(AccountNotEmpty, match="move the money out first"):
        accounts.close_account(bank, actor, ada.account_id)
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="10.00")
    closed = accounts.close_account(bank, actor, ada.account_id)
    assert closed.status is AccountStatus.CLOSED
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.CLOSED
    with pytest.raises(AccountNotOpen):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="1.00")
    bob = new_customer(bank, "Bob Babbage", deposit="5.00")
    with pytest.raises(AccountNotOpen):
        postings.transfer(
            bank, bob.user_id, bob.account_id, amount="1.00", to_account_number=closed.number
        )
    with pytest.raises(AccountNotOpen):
        accounts.close_account(bank, actor, ada.account_id)
    assert len(bank.store.ledger.history(ada.account_id, limit=10).items) == 2
    [entry] = bank.store.audit.audit_log(limit=5, action=AuditAction.ACCOUNT_CLOSED).items
    assert (entry.actor_id, entry.target) == (ada.user_id, ada.account_id)
    kinds = [
        (e.kind.value, e.payload.get("status"))
        for e in bank.store.events.read(after=None, limit=100).events
        if e.subject == ada.account_id
    ]
    assert ("account_status_changed", "closed") in kinds


def test_someone_elses_account_cannot_be_closed(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    with pytest.raises(AccountNotFound):
        accounts.close_account(bank, Actor(bob.user_id, bob.email, ""), ada.account_id)


def test_the_open_accounts_limit_counts_accounts_not_closed(bank):
    bank.settings = replace(bank.settings, max_open_accounts=3)
    ada = new_customer(bank)
    second = accounts.open_account(bank, ada.user_id, type="savings")
    accounts.open_account(bank, ada.user_id, type="savings")
    with pytest.raises(TooManyAccounts, match="at most 3 accounts"):
        accounts.open_account(bank, ada.user_id, type="savings")
    accounts.close_account(bank, Actor(ada.user_id, ada.email, ""), second.id)
    accounts.open_account(bank, ada.user_id, type="savings")
    assert len(bank.store.ledger.accounts_of(ada.user_id)) == 4


def test_accounts_opened_at_the_same_moment_do_not_pass_the_limit(bank):
    bank.settings = replace(bank.settings, max_open_accounts=3)
    ada = new_customer(bank)
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def open_one() -> None:
        start.wait()
        try:
            accounts.open_account(bank, ada.user_id, type="savings")
            outcomes.append("opened")
        except TooManyAccounts:
            outcomes.append("refused")

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["opened", "opened"] + ["refused"] * 4
    assert len(bank.store.ledger.accounts_of(ada.user_id)) == 3


@pytest.mark.parametrize("inside_a_unit", [False, True])
def test_a_posting_that_empties_an_account_can_close_it_in_the_same_write(bank, inside_a_unit):
    """The store judges the closing on the balance the posting leaves: money left behind
    refuses the whole (nothing posted, still open); an emptied account closes with it."""
    ada = new_customer(bank, "Ada Lovelace", deposit="30.00")
    account = bank.store.ledger.get_account(ada.account_id)
    closing = Closing(account.id, "closed by the bank")

    def post(amount: str) -> None:
        posting = ledger.withdrawal(
            account, Money.of(amount, account.currency), memo="closing", at=bank.now(), by="staff"
        )

        def work() -> None:
            bank.store.ledger.post(posting, closing=closing)

        bank.in_unit(work) if inside_a_unit else work()

    with pytest.raises(AccountNotEmpty):
        post("10.00")
    still = bank.store.ledger.get_account(account.id)
    assert (still.status, still.balance.amount) == (AccountStatus.OPEN, Decimal("30.00"))
    post("30.00")
    closed = bank.store.ledger.get_account(account.id)
    assert (closed.status, closed.status_reason, closed.balance.amount) == (
        AccountStatus.CLOSED,
        "closed by the bank",
        Decimal("0.00"),
    )
    assert len(bank.store.ledger.history(account.id, limit=5).items) == 2
