"""Standing orders and job leases on both stores: each due date pays once, however often the
run is retried or raced; a refused run is recorded and the order goes on; leases give a job
to one worker at a time."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from conftest import at, new_customer
from flaskbank.domain.errors import AccountNotFound, BankError, ValidationFailed
from flaskbank.domain.ledger import parse_utc_iso, utc_iso
from flaskbank.domain.money import Money
from flaskbank.domain.standing_orders import OrderStatus, RunOutcome
from flaskbank.services import standing_orders
from flaskbank.services.ledger_checks import verify


def moment(bank, day: str) -> datetime:
    """`day` (YYYY-MM-DD) at 09:00 UTC."""
    return parse_utc_iso(f"{day}T09:00:00.000000Z")


def balance(bank, account_id):
    return bank.store.ledger.get_account(account_id).balance


def new_order(bank, ada, bob, **kw):
    args = dict(
        from_account_id=ada.account_id,
        to_account_number=bob.account_number,
        amount="50.00",
        day_of_month=bank.now()[8:10].lstrip("0") if int(bank.now()[8:10]) <= 28 else "28",
        memo="rent",
    )
    return standing_orders.create(bank, ada.user_id, **{**args, **kw})


@pytest.fixture
def pair(bank):
    return new_customer(bank, deposit="120.00"), new_customer(bank, "Bob Stone")


def test_a_standing_order_pays_each_month_once_until_its_end(bank, pair):
    ada, bob = pair
    with at(bank, moment(bank, "2026-01-05")):
        order = new_order(bank, ada, bob, day_of_month="5", end_date="2026-03-31")
        assert order.next_run == "2026-01-05"
        assert standing_orders.run_due(bank) == 1
        assert standing_orders.run_due(bank) == 0  # nothing more is due today
    assert balance(bank, bob.account_id) == Money.of("50.00")
    with at(bank, moment(bank, "2026-02-05")):
        assert standing_orders.run_due(bank) == 1
    with at(bank, moment(bank, "2026-03-05")):  # 20.00 left: the run fails and is recorded
        assert standing_orders.run_due(bank) == 1
    order, runs = standing_orders.order_of(bank, ada.user_id, order.id)
    assert [(r.on, r.outcome) for r in runs] == [
        ("2026-03-05", RunOutcome.FAILED),
        ("2026-02-05", RunOutcome.PAID),
        ("2026-01-05", RunOutcome.PAID),
    ]
    assert "insufficient funds" in runs[0].detail
    assert order.status is OrderStatus.FINISHED and order.last_outcome.startswith(
        "failed 2026-03-05"
    )
    assert balance(bank, ada.account_id) == Money.of("20.00")
    with at(bank, moment(bank, "2026-04-05")):
        assert standing_orders.run_due(bank) == 0
    assert verify(bank).problems == []


def test_a_worker_killed_after_paying_pays_nothing_more_when_run_again(bank, pair):
    """The crash between the payment and moving the order on: the run's key replays it."""
    ada, bob = pair
    with at(bank, moment(bank, "2026-01-05")):
        order = new_order(bank, ada, bob, day_of_month="5")
        first = standing_orders.pay(bank, order, order.next_run)  # ...and then the kill
        assert first.outcome is RunOutcome.PAID
        assert standing_orders.run_due(bank) == 1  # the next worker runs the same date
    assert balance(bank, bob.account_id) == Money.of("50.00")
    [run] = standing_orders.order_of(bank, ada.user_id, order.id)[1]
    assert run.transaction_id == first.transaction_id
    assert verify(bank).problems == []


def test_racing_workers_pay_each_date_once(bank, pair):
    ada, bob = pair
    with at(bank, moment(bank, "2026-01-05")):
        new_order(bank, ada, bob, day_of_month="5", amount="10.00")
        barrier = threading.Barrier(3)

        def worker():
            barrier.wait()
            standing_orders.run_due(bank)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert balance(bank, bob.account_id) == Money.of("10.00")
    assert verify(bank).problems == []


def test_an_order_is_checked_when_it_is_set_up(bank, pair):
    ada, bob = pair
    eve = new_customer(bank, "Eve Other", deposit="10.00")
    bad = [
        ({"to_account_number": "123"}, "to_account_number"),
        ({"to_account_number": ada.account_number}, "to_account_number"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"day_of_month": "29"}, "day_of_month"),
        ({"day_of_month": "٣"}, "day_of_month"),
        ({"start_date": "2000-01-01"}, "start_date"),
        ({"start_date": "soon"}, "start_date"),
        ({"start_date": "9999-12-30", "day_of_month": "1"}, "start_date"),
        ({"end_date": "2000-01-01"}, "end_date"),
        ({"memo": "x" * 141}, "memo"),
    ]
    for change, field in bad:
        with pytest.raises(BankError) as refused:
            new_order(bank, ada, bob, **change)
        error = refused.value
        fields = error.errors if isinstance(error, ValidationFailed) else {error.field: ""}
        assert field in fields, change
    with pytest.raises(AccountNotFound):
        new_order(bank, ada, bob, from_account_id=eve.account_id)
    assert standing_orders.orders_of(bank, ada.user_id) == []


def test_a_cancelled_order_pays_nothing_and_others_cannot_see_or_cancel_it(bank, pair):
    ada, bob = pair
    with at(bank, moment(bank, "2026-01-05")):
        order = new_order(bank, ada, bob, day_of_month="6")
    with pytest.raises(AccountNotFound):
        standing_orders.cancel(bank, bob.user_id, order.id)
    with pytest.raises(AccountNotFound):
        standing_orders.order_of(bank, bob.user_id, order.id)
    cancelled = standing_orders.cancel(bank, ada.user_id, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    with at(bank, moment(bank, "2026-01-06")):
        assert standing_orders.run_due(bank) == 0
    assert balance(bank, bob.account_id) == Money.zero("USD")


def test_a_lease_goes_to_one_worker_and_passes_on_when_it_runs_out(bank):
    leases = bank.store.leases
    now = parse_utc_iso(bank.now())
    t = lambda s: utc_iso(now + timedelta(seconds=s))  # noqa: E731
    assert leases.acquire("job:x", "w1", now=t(0), until=t(60))
    assert not leases.acquire("job:x", "w2", now=t(1), until=t(61))
    assert leases.acquire("job:x", "w1", now=t(30), until=t(90))  # renewed by its holder
    assert leases.holder("job:x") == ("w1", t(90))
    assert not leases.acquire("job:x", "w2", now=t(89), until=t(149))
    assert leases.acquire("job:x", "w2", now=t(90), until=t(150))  # w1 stopped renewing
    leases.release("job:x", "w1")  # not w1's any more: nothing happens
    assert leases.holder("job:x") == ("w2", t(150))
    leases.release("job:x", "w2")
    assert leases.holder("job:x") is None
    assert leases.acquire("job:x", "w3", now=t(91), until=t(151))


def test_only_one_of_racing_workers_takes_a_free_lease(bank):
    now = bank.now()
    won: list[str] = []
    barrier = threading.Barrier(4)

    def take(who):
        barrier.wait()
        if bank.store.leases.acquire("job:race", who, now=now, until="9999-01-01T00:00:00.000000Z"):
            won.append(who)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(won) == 1


def test_setting_up_running_and_cancelling_an_order_each_write_one_event(bank, pair):
    ada, bob = pair

    def kinds():
        events = bank.store.events.read(after=None, limit=1000).events
        return [(e.kind.value, dict(e.payload)) for e in events if "standing" in e.kind.value]

    with at(bank, moment(bank, "2026-01-05")):
        order = new_order(bank, ada, bob, day_of_month="5")
        standing_orders.run_due(bank)
        standing_orders.cancel(bank, ada.user_id, order.id)
        standing_orders.cancel(bank, ada.user_id, order.id)  # already cancelled: no event
    found = kinds()
    assert [k for k, _ in found] == [
        "standing_order_created",
        "standing_order_run",
        "standing_order_cancelled",
    ]
    created, run, _ = (payload for _, payload in found)
    assert created["amount"] == "50.00" and created["first_run"] == "2026-01-05"
    assert run["outcome"] == "paid" and run["on"] == "2026-01-05" and run["transaction_id"]
