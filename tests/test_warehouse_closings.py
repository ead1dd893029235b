"""closing_days (warehouse/duck/closings.py): the kept closing balances of the days that are
over answer exactly what computing them from the entries would, also after a batch brings
something that happened on a day already kept (a late entry, an account opened or closed
back then), and whatever the batches the feed came in."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from flaskbank.domain.accounts import CASH_ACCOUNT_ID
from flaskbank.domain.events import StoredEvent
from flaskbank.services.analytics import feed
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.duck import DuckWarehouse, balances
from warehouse_support import contents, warehouse_in

JANUARY = [date(2025, 1, 1) + timedelta(days=n) for n in range(31)]


def _event(n: int, kind: str, subject: str, at: str, payload: dict[str, object]) -> StoredEvent:
    return StoredEvent(kind, subject, at, json.dumps(payload), f"{n:04d}")


def _deposit(n: int, account: str, cents: int, at: str) -> StoredEvent:
    amount = (
        f"{cents // 100}.{cents % 100:02d}"
        if cents >= 0
        else f"-{-cents // 100}.{-cents % 100:02d}"
    )
    legs = [
        {"account_id": account, "amount": amount},
        {"account_id": CASH_ACCOUNT_ID, "amount": amount[1:] if cents < 0 else "-" + amount},
    ]
    kind = "deposit" if cents > 0 else "withdrawal"
    payload = {"transaction_id": f"t{n}", "type": kind, "currency": "USD", "legs": legs}
    return _event(n, "transaction_posted", account, at, payload)


def _january() -> list[StoredEvent]:
    """Three customers' January, in the order the feed had it; the last event on the 31st, so
    that the days to the 30th are over."""
    events = [
        _event(1, "user_registered", "c1", "2025-01-01T08:00:00Z", {"segment": "salaried"}),
        _event(2, "user_registered", "c2", "2025-01-01T09:00:00Z", {"segment": "student"}),
        _event(
            3,
            "account_opened",
            "a1",
            "2025-01-01T10:00:00Z",
            {"user_id": "c1", "type": "checking", "currency": "USD"},
        ),
        _event(
            4,
            "account_opened",
            "a2",
            "2025-01-02T10:00:00Z",
            {"user_id": "c2", "type": "checking", "currency": "USD"},
        ),
        _deposit(5, "a1", 10_000, "2025-01-03T12:00:00Z"),
        _deposit(6, "a2", 2_550, "2025-01-04T12:00:00Z"),
        _event(
            7,
            "account_opened",
            "a3",
            "2025-01-06T10:00:00Z",
            {"user_id": "c1", "type": "savings", "currency": "USD"},
        ),
        _deposit(8, "a3", 99_999, "2025-01-07T12:00:00Z"),
        _deposit(9, "a1", -4_001, "2025-01-12T12:00:00Z"),
        _deposit(10, "a2", -2_550, "2025-01-15T12:00:00Z"),
        _event(11, "account_status_changed", "a2", "2025-01-16T12:00:00Z", {"status": "closed"}),
        _deposit(12, "a1", 7, "2025-01-20T12:00:00Z"),
        _event(13, "login_succeeded", "c1", "2025-01-31T09:00:00Z", {}),
    ]
    return events


def _groups(warehouse: DuckWarehouse, *, kept: bool, **filters: str | None):  # type: ignore[no-untyped-def]
    with warehouse.reading() as reader:
        return balances.balance_groups(
            reader.con, JANUARY, filters.get("account_type"), filters.get("segment"), kept=kept
        )


def _kept_through(warehouse: DuckWarehouse) -> date | None:
    with warehouse.reading() as reader:
        row = reader.con.execute("SELECT closed_through FROM feed").fetchone()
    return row[0] if row else None


def _apply(warehouse: DuckWarehouse, *batches: list[StoredEvent]) -> None:
    """Each batch in a writing session of its own, as the worker's ticks apply them."""
    after = None
    for batch in batches:
        with warehouse.writing() as writer:
            writer.apply(batch, after=after, reaches=batch[-1].position)
            writer.close_days()
        after = batch[-1].position


def test_the_days_that_are_over_are_kept_and_answer_as_computed(tmp_path):
    warehouse = warehouse_in(tmp_path)
    _apply(warehouse, _january())
    assert _kept_through(warehouse) == date(2025, 1, 30)
    kept = _groups(warehouse, kept=True)
    assert kept == _groups(warehouse, kept=False)
    on = {(g.day, g.account_type, g.segment): g for g in kept}
    # The 12th: a1 60.00 (100.00 - 40.01 = 59.99), a3 999.99 saving, a2 0.00.
    assert on[(date(2025, 1, 12), "checking", "salaried")].total == 5_999
    assert on[(date(2025, 1, 12), "savings", "salaried")].total == 99_999
    assert on[(date(2025, 1, 12), "checking", "student")].accounts == 1
    # a2 was closed on the 16th: from then on it is not counted.
    assert (date(2025, 1, 16), "checking", "student") not in on
    assert on[(date(2025, 1, 31), "checking", "salaried")].total == 6_006  # today: computed
    for segment in ("salaried", "student", "nobody"):
        assert _groups(warehouse, kept=True, segment=segment) == [
            g for g in kept if g.segment == segment
        ]


@pytest.mark.parametrize(
    "late",
    [
        [8],  # a deposit on the 7th, after the 30th was kept
        [11],  # the closing of a2 on the 16th
        [7, 8],  # an account opened on the 6th and its deposit
        [5, 6, 8, 9, 10, 12],  # every entry
    ],
)
def test_a_batch_that_brings_an_older_day_drops_the_kept_days_from_it(tmp_path, late):
    """The feed in one batch against a feed whose `late` events come in a later batch (after
    the days they belong to were kept): the same closing balances, kept and computed."""
    events = _january()
    early = [e for e in events if int(e.position) not in late]
    later = [e for e in events if int(e.position) in late]
    whole, split = warehouse_in(tmp_path, "whole.duckdb"), warehouse_in(tmp_path, "split.duckdb")
    _apply(whole, events)
    _apply(split, early, later)
    assert _groups(split, kept=True) == _groups(whole, kept=True) == _groups(whole, kept=False)
    assert contents(split)["closing_days"] == contents(whole)["closing_days"]


def test_a_generated_bank_fed_in_small_batches_keeps_what_it_would_compute(tmp_path):
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    load_bank(store, Options(12, 4, 5, start=date(2024, 11, 20)), LOCKED)
    small, large = warehouse_in(tmp_path, "small.duckdb"), warehouse_in(tmp_path, "large.duckdb")
    feed.sync(store, small, limit=97)
    feed.sync(store, large)
    store.close()
    through = _kept_through(small)
    assert through is not None and through >= date(2025, 2, 20)
    days = [
        date(2024, 11, 15) + timedelta(days=n)
        for n in range((through - date(2024, 11, 15)).days + 3)
    ]
    for warehouse in (small, large):
        with warehouse.reading() as reader:
            kept = balances.balance_groups(reader.con, days, None, None)
            computed = balances.balance_groups(reader.con, days, None, None, kept=False)
        assert kept == computed and len({g.day for g in kept}) > 90
    assert contents(small)["closing_days"] == contents(large)["closing_days"]


def test_a_rebuild_is_published_first_and_its_days_are_kept_a_month_a_run_after(tmp_path):
    """What `flaskbank warehouse rebuild` and the worker do: every event in and published,
    no day kept yet, reports computed meanwhile; then each worker run keeps one more month,
    and feed.close_days keeps the rest. The answers never change on the way."""
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    load_bank(store, Options(10, 3, 7, start=date(2025, 1, 1)), LOCKED)
    warehouse = warehouse_in(tmp_path)
    assert feed.rebuild(store, warehouse) > 0
    assert _kept_through(warehouse) is None
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(80)]

    def answer() -> list[object]:
        with warehouse.reading() as reader:
            return list(balances.balance_groups(reader.con, days, None, None))

    before = answer()
    assert before and feed.sync(store, warehouse, close_months=1) == 0
    assert _kept_through(warehouse) == date(2025, 1, 31)
    assert answer() == before
    # Each of the two copies (one published, one written) keeps its own months: the copy
    # written next catches up with January, then the one after goes on to February.
    kept = []
    for _ in range(3):
        feed.sync(store, warehouse, close_months=1)
        kept.append(_kept_through(warehouse))
        assert answer() == before
    assert kept == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 2, 28)]
    assert feed.close_days(store, warehouse) > 20
    assert _kept_through(warehouse) is not None and _kept_through(warehouse) > date(2025, 3, 20)
    assert answer() == before
    feed.close_days(store, warehouse)  # the other copy
    assert feed.close_days(store, warehouse) == 0  # nothing more is over
    store.close()


def test_after_a_rebuild_and_its_closing_days_the_worker_publishes_them_all(tmp_path):
    """`flaskbank warehouse rebuild` keeps every closing day in a copy of its own: the copy
    the worker writes next starts from it, rather than from the rebuilt copy with none kept,
    which the worker would publish with a month more kept a run."""
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    load_bank(store, Options(8, 4, 3, start=date(2025, 1, 1)), LOCKED)
    warehouse = warehouse_in(tmp_path)
    feed.rebuild(store, warehouse)
    assert feed.close_days(store, warehouse) > 60
    kept = _kept_through(warehouse)
    for _ in range(2):
        feed.sync(store, warehouse, close_months=1)  # the worker's runs
        assert _kept_through(warehouse) == kept
    store.close()
