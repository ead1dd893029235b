"""The bulk-load port (store.bulk): what `flaskbank generate` relies on, on every store.
Batches are atomic and applied in order; a replayed batch is skipped; postings land as
`post` would land them (the leg rules, exact balances after, the posting's event)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from conftest import at as at_time
from flaskbank.domain.accounts import (
    CASH_ACCOUNT_ID,
    CLOSED_BY_THE_BANK,
    Account,
    AccountStatus,
    AccountType,
    Role,
    User,
    account_id_for,
    luhn_check_digit,
)
from flaskbank.domain.errors import (
    AccountNotEmpty,
    AccountNotOpen,
    BulkLoadOutOfOrder,
    InsufficientFunds,
    StoreError,
)
from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.labels import Label, Pattern
from flaskbank.domain.ledger import Leg, Posting, TransactionType
from flaskbank.domain.money import Money
from flaskbank.services import postings as posting_service
from flaskbank.services.ledger_checks import verify
from flaskbank.store.base import BulkBatch

LOAD = "load-1"
ZERO = Money.of("0")


def at(day: int, minute: int = 0) -> str:
    return f"2024-01-{day:02d}T10:{minute:02d}:00.000000Z"


def customer(n: int) -> tuple[User, Account]:
    body = f"{50_000_000_000 + n}"
    number = body + luhn_check_digit(body)
    user = User(f"user-{n}", f"c{n}@example.com", f"Customer {n}", "!", Role.CUSTOMER, at(1))
    account = Account(
        account_id_for(number),
        number,
        user.id,
        AccountType.CHECKING,
        "USD",
        ZERO,
        AccountStatus.OPEN,
        at(1),
    )
    return user, account


def cash(pid: str, account: Account, amount: str, when: str, *, out: bool = False) -> Posting:
    """A deposit, or with `out` a withdrawal, against the vault."""
    m = Money.of(amount)
    mine = -m if out else m
    return Posting(
        pid,
        TransactionType.WITHDRAWAL if out else TransactionType.DEPOSIT,
        m,
        (Leg(account.id, mine, "Cash"), Leg(CASH_ACCOUNT_ID, -mine, account.number)),
        "memo",
        when,
        account.user_id,
    )


def transfer(pid: str, a: Account, b: Account, amount: str, when: str) -> Posting:
    m = Money.of(amount)
    return Posting(
        pid,
        TransactionType.TRANSFER,
        m,
        (Leg(a.id, -m, "B"), Leg(b.id, m, "A")),
        "rent",
        when,
        a.user_id,
    )


@pytest.fixture
def two(store):
    (ua, a), (ub, b) = customer(1), customer(2)
    first = BulkBatch(
        LOAD,
        0,
        users=(ua, ub),
        accounts=(a, b),
        postings=(
            cash("t1", a, "100.00", at(2)),
            transfer("t2", a, b, "30.00", at(2, 5)),
            cash("t3", b, "20.00", at(3), out=True),
        ),
        labels=(Label("l1", Pattern.OUTLIER, ua.id, ("t2",), at(2, 5), at(2, 5), "why"),),
    )
    store.bulk.load(first)
    return store, a, b, first


def test_a_batch_lands_as_posting_would_land_it(two, bank):
    store, a, b, _ = two
    assert store.ledger.get_account(a.id).balance == Money.of("70.00")
    assert store.ledger.get_account(b.id).balance == Money.of("10.00")
    history = store.ledger.history(b.id, limit=10).items
    assert [(e.amount, e.balance_after) for e in history] == [
        (Money.of("-20.00"), Money.of("10.00")),
        (Money.of("30.00"), Money.of("30.00")),
    ]
    assert store.ledger.get_transaction("t2").entry_for(a.id).balance_after == Money.of("70.00")
    assert store.users.find_user_by_email("C1@example.com").full_name == "Customer 1"
    assert [lb.transaction_ids for lb in store.bulk.labels()] == [("t2",)]
    assert verify(bank).problems == []


def test_each_posting_writes_its_own_event_readable_on_the_feed(two):
    store = two[0]
    events = store.events.read(after=None, limit=100).events
    posted = [e for e in events if e.kind is EventKind.TRANSACTION_POSTED]
    assert [e.payload["transaction_id"] for e in posted] == ["t1", "t2", "t3"]
    assert posted[1].payload["legs"][0] == {"account_id": two[1].id, "amount": "-30.00"}


def test_a_refused_leg_leaves_nothing_of_its_batch(two):
    store, a, b, _ = two
    (uc, c) = customer(3)
    bad = BulkBatch(
        LOAD,
        1,
        users=(uc,),
        accounts=(c,),
        postings=(cash("t4", a, "5.00", at(4)), cash("t5", b, "10.01", at(4, 1), out=True)),
    )
    with pytest.raises(InsufficientFunds):
        store.bulk.load(bad)
    assert store.bulk.loaded(LOAD) == 1
    assert store.users.get_user(uc.id) is None and store.ledger.get_transaction("t4") is None
    assert store.ledger.get_account(a.id).balance == Money.of("70.00")


def test_a_replayed_batch_is_skipped_and_a_later_one_refused(two):
    store, a, b, first = two
    store.bulk.load(first)  # a resumed load replays its stream from the start
    assert store.ledger.get_account(a.id).balance == Money.of("70.00")
    with pytest.raises(BulkLoadOutOfOrder):
        store.bulk.load(BulkBatch(LOAD, 2, postings=(cash("t9", a, "1.00", at(9)),)))
    store.bulk.load(BulkBatch(LOAD, 1, postings=(cash("t6", a, "1.00", at(9)),)))
    assert store.bulk.loaded(LOAD) == 2
    assert store.ledger.get_account(a.id).balance == Money.of("71.00")


def test_postings_may_not_reach_back_before_the_ledger(two):
    store, a, _, _ = two
    with pytest.raises(StoreError):
        store.bulk.load(BulkBatch(LOAD, 1, postings=(cash("t7", a, "1.00", at(2, 1)),)))
    assert store.ledger.get_transaction("t7") is None


def test_unfinished_loads_are_named_until_finished(two):
    store = two[0]
    assert store.bulk.unfinished_loads() == [LOAD]
    store.bulk.finish(LOAD)
    assert store.bulk.unfinished_loads() == []


def test_the_ledger_goes_on_after_a_bulk_load(two, bank):
    store, a, b, _ = two
    with at_time(bank, datetime(2024, 2, 1, tzinfo=UTC)):
        result = posting_service.transfer(
            bank, a.user_id, a.id, amount="5.00", to_account_number=b.number
        )
    assert result.transaction.entry_for(b.id).balance_after == Money.of("15.00")
    feed = store.ledger.feed(after=None, limit=10).items
    assert [t.id for t in feed][:3] == ["t1", "t2", "t3"] and len(feed) == 4


def test_a_generated_bank_passes_verify_with_its_labels_stored(store, bank):
    from flaskbank.synthetic import LOCKED, Options
    from flaskbank.synthetic.loading import load_bank

    loaded = load_bank(store, Options(30, 3, 8, pattern_rate=50, batch_size=400), LOCKED)
    assert loaded.postings > 1000 and loaded.batches > 2
    assert store.bulk.unfinished_loads() == []
    report = verify(bank)
    assert report.problems == [] and report.transactions == loaded.postings
    assert len(list(store.bulk.labels())) == loaded.labels


def closed_event(eid: str, account: Account, when: str) -> Event:
    """The event of the bank closing the account (services/account_closing.py emits it)."""
    return Event(
        eid,
        EventKind.ACCOUNT_STATUS_CHANGED,
        account.id,
        "system",
        when,
        {"status": AccountStatus.CLOSED.value, "reason": CLOSED_BY_THE_BANK},
    )


def test_a_batch_closes_an_account_it_empties_as_the_bank_closes_one(two, bank):
    # a holds 70.00: the bank pays it out and closes it; b is refused a posting into it after.
    store, a, b, _ = two
    payout = replace(cash("t4", a, "70.00", at(4), out=True), closes=a.id)
    store.bulk.load(BulkBatch(LOAD, 1, postings=(payout,), events=(closed_event("e1", a, at(4)),)))
    account = store.ledger.get_account(a.id)
    assert (account.status, account.status_reason) == (AccountStatus.CLOSED, CLOSED_BY_THE_BANK)
    assert account.balance == ZERO
    events = store.events.read(after=None, limit=100).events
    [posted] = [e for e in events if e.payload.get("transaction_id") == "t4"]
    assert posted.payload["closes"] == a.id
    assert [e.subject for e in events if e.kind is EventKind.ACCOUNT_STATUS_CHANGED] == [a.id]
    assert verify(bank).problems == []
    with pytest.raises(AccountNotOpen):
        store.bulk.load(BulkBatch(LOAD, 2, postings=(transfer("t5", b, a, "1.00", at(5)),)))
    assert store.ledger.get_account(b.id).balance == Money.of("10.00")


def test_a_batch_that_would_close_an_account_holding_money_is_refused_whole(two):
    store, a, _, _ = two
    with pytest.raises(AccountNotEmpty):
        store.bulk.load(
            BulkBatch(
                LOAD,
                1,
                postings=(cash("t4", a, "69.99", at(4), out=True),),
                events=(closed_event("e1", a, at(4)),),
            )
        )
    assert store.bulk.loaded(LOAD) == 1 and store.ledger.get_transaction("t4") is None
    assert store.ledger.get_account(a.id).status is AccountStatus.OPEN


def test_an_empty_account_is_closed_alone_and_only_once(two):
    # Nothing to pay out: the closing alone, as close_account does it.
    store, _, _, _ = two
    uc, c = customer(3)
    store.bulk.load(
        BulkBatch(LOAD, 1, users=(uc,), accounts=(c,), events=(closed_event("e1", c, at(4)),))
    )
    assert store.ledger.get_account(c.id).status is AccountStatus.CLOSED
    with pytest.raises(AccountNotOpen):
        store.bulk.load(BulkBatch(LOAD, 2, events=(closed_event("e2", c, at(5)),)))
    assert store.bulk.loaded(LOAD) == 2


def test_a_generated_leaver_who_takes_their_money_leaves_through_the_banks_closing(store, bank):
    from flaskbank.synthetic import LOCKED, Options
    from flaskbank.synthetic.loading import load_bank

    # Seed 8's bank has a leaver with two accounts who takes their money.
    load_bank(store, Options(40, 6, 8, pattern_rate=50, batch_size=400), LOCKED)
    events, after = [], None
    while (page := store.events.read(after=after, limit=1000)).events:
        events += page.events
        after = page.checkpoint
    owner = {e.subject: e.payload["user_id"] for e in events if e.kind is EventKind.ACCOUNT_OPENED}
    closed = [e.subject for e in events if e.kind is EventKind.ACCOUNT_STATUS_CHANGED]
    leavers = {owner[a] for a in closed}
    assert len(closed) == 2 and len(leavers) == 1
    for account_id in closed:  # every account of the leaver, empty, closed by the bank
        account = store.ledger.get_account(account_id)
        assert (account.status, account.status_reason) == (AccountStatus.CLOSED, CLOSED_BY_THE_BANK)
        assert account.balance == ZERO and account.held_minor == 0
    assert {a for a, u in owner.items() if u in leavers} == set(closed)
    posted = [e for e in events if e.kind is EventKind.TRANSACTION_POSTED]
    closing = [
        (e.payload["type"], e.payload["closes"], e.payload["memo"])
        for e in posted
        if "closes" in e.payload
    ]
    assert [(kind, account) for kind, account, _ in closing] == [
        ("transfer", closed[0]),
        ("withdrawal", closed[1]),
    ]
    assert closing[1][2].endswith(", paid out by cheque")
    assert all(memo.startswith("Closing balance of account ") for _, _, memo in closing)
    assert not [e for e in posted if e.payload["memo"] == "Closing withdrawal"]
    assert verify(bank).problems == []
