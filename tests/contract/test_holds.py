"""Holds on both stores: what they reserve, how each is resolved once, and that money stays
conserved with holds open (verify checks held == the open holds)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import at, new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.errors import (
    AccountNotOpen,
    HoldNotOpen,
    IdempotencyConflict,
    InsufficientFunds,
    NotPermitted,
)
from flaskbank.domain.holds import Hold, HoldKind, HoldStatus
from flaskbank.domain.ledger import parse_utc_iso, utc_iso
from flaskbank.domain.money import Money
from flaskbank.services import holds, postings, staff
from flaskbank.services.audit import Actor
from flaskbank.services.ledger_checks import verify


@pytest.fixture
def analyst(bank):
    user, _ = staff.create_staff(
        bank,
        email="fraud@example.com",
        full_name="Fay Analyst",
        role=Role.FRAUD_ANALYST.value,
        actor=Actor.of(None, "127.0.0.1", "cli"),
    )
    return user


@pytest.fixture
def reviewing(bank):
    """Transfers of 500.00 or more wait for review."""
    bank.settings = type(bank.settings)(review_threshold=Decimal("500.00"), review_hours=24)
    return bank


def account(bank, account_id):
    return bank.store.ledger.get_account(account_id)


def actor(user):
    return Actor.of(user, "127.0.0.1")


def test_a_staff_hold_reserves_money_until_it_is_lifted(bank, analyst):
    ada = new_customer(bank, deposit="100.00")
    hold = holds.place_staff_hold(
        bank, analyst, ada.account_id, amount="70.00", reason="garnishment", actor=actor(analyst)
    )
    now = account(bank, ada.account_id)
    assert (now.balance, now.available) == (Money.of("100.00"), Money.of("30.00"))
    with pytest.raises(InsufficientFunds, match="available balance is 30.00 USD"):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="30.01")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="30.00")
    assert verify(bank).problems == []
    lifted = holds.release(bank, analyst, ada.account_id, hold.id, actor(analyst))
    assert lifted.status is HoldStatus.RELEASED and lifted.transaction_id is None
    assert account(bank, ada.account_id).available == Money.of("70.00")
    stored = bank.store.holds.get(ada.account_id, hold.id)
    assert stored.status is HoldStatus.RELEASED and stored.resolved_by == analyst.id
    actions = [e.action.value for e in bank.store.audit.audit_log(limit=10).items]
    assert "hold_placed" in actions and "hold_released" in actions
    assert verify(bank).problems == []


def test_a_hold_is_refused_like_a_debit_and_changes_nothing(bank, analyst):
    ada = new_customer(bank, deposit="10.00")
    with pytest.raises(InsufficientFunds):
        holds.place_staff_hold(
            bank, analyst, ada.account_id, amount="10.01", reason="x", actor=actor(analyst)
        )
    bank.store.ledger.set_account_status(ada.account_id, AccountStatus.FROZEN, "review")
    with pytest.raises(AccountNotOpen):
        holds.place_staff_hold(
            bank, analyst, ada.account_id, amount="1.00", reason="x", actor=actor(analyst)
        )
    assert account(bank, ada.account_id).held_minor == 0
    assert bank.store.holds.holds_of(ada.account_id) == []


def test_the_store_rechecks_available_funds_when_placing(bank, analyst):
    """Two holds of 60 on 100, each allowed by what it read: the store refuses the second."""
    ada = new_customer(bank, deposit="100.00")
    read = account(bank, ada.account_id)
    from flaskbank.domain import holds as domain

    first = domain.staff_hold(
        read, Money.of("60"), reason="a", by="t", at=bank.now(), expires_at=None
    )
    second = domain.staff_hold(
        read, Money.of("60"), reason="b", by="t", at=bank.now(), expires_at=None
    )
    bank.store.holds.place(first)
    with pytest.raises(InsufficientFunds):
        bank.store.holds.place(second)
    assert account(bank, ada.account_id).held == Money.of("60.00")


def test_only_fraud_analysts_and_admins_hold_funds(bank):
    ada = new_customer(bank, deposit="10.00")
    manager, _ = staff.create_staff(
        bank,
        email="fm@example.com",
        full_name="Finn Manager",
        role="financial_manager",
        actor=Actor.of(None, "127.0.0.1", "cli"),
    )
    with pytest.raises(NotPermitted):
        holds.place_staff_hold(
            bank, manager, ada.account_id, amount="1.00", reason="x", actor=actor(manager)
        )


def test_a_transfer_that_needs_review_waits_on_a_hold_and_a_release_posts_it(reviewing, analyst):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="900.00"), new_customer(bank, "Bob Stone")
    pending = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="600.00", to_account_number=bob.account_number
    )
    assert isinstance(pending, Hold) and pending.kind is HoldKind.PENDING_TRANSFER
    source = account(bank, ada.account_id)
    assert (source.balance, source.available) == (Money.of("900.00"), Money.of("300.00"))
    assert account(bank, bob.account_id).balance == Money.of("0.00")
    with pytest.raises(InsufficientFunds):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="300.01", to_account_number=bob.account_number
        )
    done = holds.release(bank, analyst, ada.account_id, pending.id, actor(analyst))
    assert done.transaction_id == pending.posting.id
    txn = bank.store.ledger.get_transaction(done.transaction_id)
    assert txn.entry_for(bob.account_id).amount == Money.of("600.00")
    assert txn.entry_for(ada.account_id).balance_after == Money.of("300.00")
    source = account(bank, ada.account_id)
    assert (source.balance, source.available, source.held_minor) == (
        Money.of("300.00"),
        Money.of("300.00"),
        0,
    )
    with pytest.raises(HoldNotOpen):
        holds.release(bank, analyst, ada.account_id, pending.id, actor(analyst))
    assert verify(bank).problems == []


def test_voiding_or_cancelling_a_pending_transfer_moves_nothing(reviewing, analyst):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="2000.00"), new_customer(bank, "Bob Stone")
    first, second = (
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="700.00", to_account_number=bob.account_number
        )
        for _ in range(2)
    )
    holds.void(bank, analyst, ada.account_id, first.id, actor(analyst))
    holds.cancel_pending_transfer(bank, ada.user_id, ada.account_id, second.id)
    assert account(bank, ada.account_id).available == Money.of("2000.00")
    assert account(bank, bob.account_id).balance == Money.of("0.00")
    states = {h.id: h.status for h in bank.store.holds.holds_of(ada.account_id)}
    assert states == {first.id: HoldStatus.VOIDED, second.id: HoldStatus.VOIDED}
    with pytest.raises(HoldNotOpen):
        holds.cancel_pending_transfer(bank, ada.user_id, ada.account_id, first.id)
    assert verify(bank).problems == []


def test_a_customer_cannot_touch_a_staff_hold_or_anothers(bank, analyst, reviewing):
    ada, eve = new_customer(bank, deposit="100.00"), new_customer(bank, "Eve Other")
    hold = holds.place_staff_hold(
        bank, analyst, ada.account_id, amount="1.00", reason="legal", actor=actor(analyst)
    )
    with pytest.raises(NotPermitted):
        holds.cancel_pending_transfer(bank, ada.user_id, ada.account_id, hold.id)
    from flaskbank.domain.errors import AccountNotFound

    with pytest.raises(AccountNotFound):
        holds.holds_of(bank, eve.user_id, ada.account_id)
    with pytest.raises(AccountNotFound):
        holds.cancel_pending_transfer(bank, eve.user_id, ada.account_id, hold.id)


def test_a_retried_pending_transfer_holds_once(reviewing):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="900.00"), new_customer(bank, "Bob Stone")
    args = dict(amount="600.00", to_account_number=bob.account_number, idempotency_key="k-1")
    first = postings.transfer(bank, ada.user_id, ada.account_id, **args)
    again = postings.transfer(bank, ada.user_id, ada.account_id, **args)
    assert isinstance(again, Hold) and again.id == first.id
    assert len(bank.store.holds.holds_of(ada.account_id)) == 1
    with pytest.raises(IdempotencyConflict):
        postings.transfer(bank, ada.user_id, ada.account_id, **{**args, "amount": "601.00"})
    with pytest.raises(IdempotencyConflict):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="1.00", idempotency_key="k-1")


def test_a_release_is_refused_while_the_recipient_cannot_take_money(reviewing, analyst):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="900.00"), new_customer(bank, "Bob Stone")
    pending = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="600.00", to_account_number=bob.account_number
    )
    bank.store.ledger.set_account_status(bob.account_id, AccountStatus.FROZEN, "review")
    with pytest.raises(AccountNotOpen):
        holds.release(bank, analyst, ada.account_id, pending.id, actor(analyst))
    assert bank.store.holds.get(ada.account_id, pending.id).is_open
    assert account(bank, ada.account_id).held == Money.of("600.00")
    holds.void(bank, analyst, ada.account_id, pending.id, actor(analyst))
    assert verify(bank).problems == []


def test_a_release_racing_a_void_has_one_winner(reviewing, analyst):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="5000.00"), new_customer(bank, "Bob Stone")
    for _ in range(3):
        pending = postings.transfer(
            bank, ada.user_id, ada.account_id, amount="500.00", to_account_number=bob.account_number
        )
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def act(resolve, name, pending=pending, outcomes=outcomes, barrier=barrier):
            barrier.wait()
            try:
                resolve(bank, analyst, ada.account_id, pending.id, actor(analyst))
                outcomes.append(name)
            except HoldNotOpen:
                outcomes.append("409")

        threads = [
            threading.Thread(target=act, args=(holds.release, "released")),
            threading.Thread(target=act, args=(holds.void, "voided")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) in (["409", "released"], ["409", "voided"])
        stored = bank.store.holds.get(ada.account_id, pending.id)
        assert stored.status.value == next(o for o in outcomes if o != "409")
    report = verify(bank)
    assert report.problems == []
    received = account(bank, bob.account_id).balance
    assert account(bank, ada.account_id).balance + received == Money.of("5000.00")


def test_due_holds_expire_by_their_kinds_policy(reviewing, analyst):
    bank = reviewing
    ada, bob = new_customer(bank, deposit="900.00"), new_customer(bank, "Bob Stone")
    placed = parse_utc_iso(bank.now()) - timedelta(hours=30)
    with at(bank, placed):
        pending = postings.transfer(
            bank, ada.user_id, ada.account_id, amount="600.00", to_account_number=bob.account_number
        )
        kept = holds.place_staff_hold(
            bank,
            analyst,
            ada.account_id,
            amount="100.00",
            reason="court order",
            expires_at="2999-01-01T00:00:00Z",
            actor=actor(analyst),
        )
        lapsing = holds.place_staff_hold(
            bank,
            analyst,
            ada.account_id,
            amount="50.00",
            reason="levy",
            expires_at=utc_iso(placed + timedelta(hours=1)),  # due now, at any time of day
            actor=actor(analyst),
        )
    assert holds.expire_due(bank) == 2
    assert holds.expire_due(bank) == 0  # once
    states = {h.id: h.status for h in bank.store.holds.holds_of(ada.account_id)}
    assert states == {
        pending.id: HoldStatus.EXPIRED,
        kept.id: HoldStatus.OPEN,
        lapsing.id: HoldStatus.EXPIRED,
    }
    assert account(bank, bob.account_id).balance == Money.of("0.00")  # never sent
    assert account(bank, ada.account_id).available == Money.of("800.00")
    assert verify(bank).problems == []
