"""The warehouse's consumer of the event feed, on both stores: what it keeps, that it counts
every event once (re-applied batches, an interrupted sync resumed), and that reports read
while a sync runs."""

from __future__ import annotations

import queue
import threading
from datetime import date

import duckdb
import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.events import StoredEvent
from flaskbank.services import holds, postings, staff
from flaskbank.services.analytics import feed
from flaskbank.services.audit import Actor
from flaskbank.warehouse.base import WarehouseStale
from flaskbank.warehouse.duck import warehouse as duck
from test_staff_support import make_staff
from warehouse_support import contents, parse, run_report, warehouse_in


def _activity(bank):  # type: ignore[no-untyped-def]
    ada = new_customer(bank, "Ada Lovelace", deposit="100.00")
    bob = new_customer(bank, "Bob Babbage", deposit="50.05")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="30.10")
    postings.transfer(
        bank, bob.user_id, bob.account_id, amount="0.05", to_account_number=ada.account_number
    )
    admin = make_staff(bank, Role.ADMIN)
    holds.place_staff_hold(
        bank,
        admin,
        ada.account_id,
        amount="5.00",
        reason="court order",
        actor=Actor.of(admin, "127.0.0.1"),
    )
    staff.set_frozen(
        bank, admin, bob.account_id, frozen=True, reason="fraud", actor=Actor.of(admin, "127.0.0.1")
    )
    return ada, bob


def test_the_warehouse_keeps_customer_legs_people_accounts_and_holds(bank, tmp_path):
    ada, bob = _activity(bank)
    warehouse = warehouse_in(tmp_path)
    applied = feed.sync(bank.store, warehouse)
    everything = bank.store.events.read(after=None, limit=10_000).events
    assert applied == len(everything)
    got = contents(warehouse)
    mine = {ada.account_id, bob.account_id}
    entries = {(e[1], e[3], e[4]) for e in got["entries"] if e[1] in mine}
    assert entries == {
        (ada.account_id, "deposit", 10000),
        (bob.account_id, "deposit", 5005),
        (ada.account_id, "withdrawal", -3010),
        (bob.account_id, "transfer", -5),
        (ada.account_id, "transfer", 5),
    }
    assert all(e[2] for e in got["entries"])  # each entry knows its customer
    assert {a[0]: a[5] for a in got["accounts"]}[bob.account_id] == "frozen"
    assert [(h[1], h[2], h[3]) for h in got["hold_events"]] == [(ada.account_id, "placed", 500)]
    assert {c[0] for c in got["customers"]} >= {ada.user_id, bob.user_id}
    # The bank side of deposits and withdrawals is no customer's money.
    assert not any(e[1].startswith("bank-") for e in got["entries"])


def test_a_second_sync_applies_nothing_and_a_stale_batch_is_refused(bank, tmp_path):
    _activity(bank)
    warehouse = warehouse_in(tmp_path)
    feed.sync(bank.store, warehouse)
    before = contents(warehouse)
    assert feed.sync(bank.store, warehouse) == 0
    page = bank.store.events.read_stored(after=None, limit=3)
    with warehouse.writing() as writer, pytest.raises(WarehouseStale):
        writer.apply(page.events, after=None, reaches=page.checkpoint)
    assert contents(warehouse) == before


def test_a_sync_that_dies_mid_batch_and_resumes_equals_a_rebuild(bank, tmp_path, monkeypatch):
    ada, _ = _activity(bank)
    for _ in range(12):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="1.01")
    interrupted = warehouse_in(tmp_path, "interrupted.duckdb")
    real, calls = duck.load, []

    def dies_on_the_third_batch(con, events, timezone):  # type: ignore[no-untyped-def]
        calls.append(1)
        real(con, events, timezone)  # the rows are written, then the process "dies" before commit
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(duck, "load", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        feed.sync(bank.store, interrupted, limit=4)
    monkeypatch.setattr(duck, "load", real)
    feed.sync(bank.store, interrupted, limit=4)
    rebuilt = warehouse_in(tmp_path, "rebuilt.duckdb")
    feed.sync(bank.store, rebuilt, fresh=True)
    assert contents(interrupted) == contents(rebuilt)
    deposits = [e for e in contents(rebuilt)["entries"] if e[3] == "deposit"]
    assert sum(e[4] for e in deposits) == 10000 + 5005 + 12 * 101


def test_a_rebuild_counts_everything_once_more_and_not_twice(bank, tmp_path):
    _activity(bank)
    warehouse = warehouse_in(tmp_path)
    feed.sync(bank.store, warehouse)
    once = contents(warehouse)
    feed.sync(bank.store, warehouse, fresh=True)
    assert contents(warehouse) == once


def test_a_sync_out_of_time_stops_after_a_batch_and_the_next_goes_on_from_there(bank, tmp_path):
    _activity(bank)
    everything = len(bank.store.events.read(after=None, limit=10_000).events)
    assert everything > 8
    warehouse = warehouse_in(tmp_path)
    # The second batch was read ahead while the first was applied: it is dropped, not lost.
    assert feed.sync(bank.store, warehouse, limit=4, budget=0.0) == 4
    assert feed.sync(bank.store, warehouse, limit=4) == everything - 4
    rebuilt = warehouse_in(tmp_path, "rebuilt.duckdb")
    feed.sync(bank.store, rebuilt, fresh=True)
    assert contents(warehouse) == contents(rebuilt)


def test_a_sync_reads_on_past_pages_a_store_ends_early(bank, tmp_path, monkeypatch):
    """DynamoDB ends a page at 1 MB whatever the limit: a short page is no sign of the end."""
    _activity(bank)
    everything = len(bank.store.events.read(after=None, limit=10_000).events)
    read_stored = bank.store.events.read_stored

    def short_pages(*, after, limit):  # type: ignore[no-untyped-def]
        return read_stored(after=after, limit=min(limit, 3))

    monkeypatch.setattr(bank.store.events, "read_stored", short_pages)
    warehouse = warehouse_in(tmp_path)
    assert feed.sync(bank.store, warehouse, limit=100) == everything
    rebuilt = warehouse_in(tmp_path, "rebuilt.duckdb")
    monkeypatch.undo()
    feed.sync(bank.store, rebuilt, fresh=True)
    assert contents(warehouse) == contents(rebuilt)


def test_a_report_during_a_sync_neither_fails_nor_waits(bank, tmp_path, monkeypatch):
    ada, _ = _activity(bank)
    warehouse = warehouse_in(tmp_path)
    feed.sync(bank.store, warehouse)
    for _ in range(6):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="2.00")
    real, batches = duck.load, queue.Queue()
    waited: list[bool] = []

    def slow(con, events, timezone):  # type: ignore[no-untyped-def]
        # The writer holds its copy in the middle of a batch until a report has been
        # answered meanwhile: a report that waited for the writer would never come.
        answered = threading.Event()
        batches.put(answered)
        waited.append(answered.wait(10))
        real(con, events, timezone)

    monkeypatch.setattr(duck, "load", slow)
    syncing = threading.Thread(target=feed.sync, args=(bank.store, warehouse), kwargs={"limit": 2})
    syncing.start()
    manager = make_staff(bank, Role.FINANCIAL_MANAGER)
    asked = parse("deposit_growth", "2000-01-01", "2100-12-31", "year")
    while syncing.is_alive() or not batches.empty():
        try:
            answered = batches.get(timeout=0.1)
        except queue.Empty:
            continue
        report = run_report(warehouse, manager, "deposit_growth", asked)
        assert report.rows  # the published state, before this sync: never an error
        answered.set()
    syncing.join()
    assert len(waited) >= 3 and all(waited)
    after = run_report(warehouse, manager, "deposit_growth", asked)
    assert after.as_of.events == len(bank.store.events.read(after=None, limit=10_000).events)


def _deposit(n: int, amount: str, currency: str) -> StoredEvent:
    payload = (
        f'{{"currency":"{currency}","legs":[{{"account_id":"acc-{n}","amount":"{amount}"}},'
        f'{{"account_id":"bank-cash","amount":"-{amount}"}}],"transaction_id":"tx-{n}",'
        '"type":"deposit"}'
    )
    return StoredEvent("transaction_posted", f"acc-{n}", "2025-01-02T03:04:05Z", payload, str(n))


def test_amounts_become_exact_minor_units_and_an_odd_one_stops_the_batch(tmp_path):
    warehouse = warehouse_in(tmp_path)
    exact = [_deposit(1, "12.34", "EUR"), _deposit(2, "0.05", "USD"), _deposit(3, "7", "XXX")]
    with warehouse.writing() as writer:
        writer.apply(exact[:2], after=None, reaches="2")
        for odd in (_deposit(3, "7.1", "EUR"), exact[2], _deposit(3, "1e3", "USD")):
            with pytest.raises(duckdb.Error, match="not an amount"):
                writer.apply([odd], after="2", reaches="3")
    got = contents(warehouse)
    assert [(e[1], e[4], e[5]) for e in got["entries"]] == [
        ("acc-1", 1234, "EUR"),
        ("acc-2", 5, "USD"),
    ]
    assert got["feed"][0][3:6] == ("2", "2025-01-02T03:04:05Z", 2)


def test_a_warehouse_never_synced_answers_empty(tmp_path):
    warehouse = warehouse_in(tmp_path)
    with warehouse.reading() as reader:
        assert reader.as_of().position is None
        assert reader.day_flows(date(2030, 1, 1)) == []


def test_the_worker_keeps_the_warehouse_caught_up(bank, tmp_path):
    from flaskbank.worker import Worker, warehouse_job

    ada = new_customer(bank, deposit="10.00")
    warehouse = warehouse_in(tmp_path)
    worker = Worker(bank, [warehouse_job(warehouse, every=2.0)], owner="w")
    manager = make_staff(bank, Role.FINANCIAL_MANAGER)
    asked = parse("deposit_growth", "2000-01-01", "2100-12-31", "year")

    def balances() -> str | None:
        rows = run_report(warehouse, manager, "deposit_growth", asked).rows
        return rows[-1]["closing_balance"] if rows else None

    assert worker.tick(0.0)["warehouse"] > 0
    assert balances() == "10.00"
    postings.deposit(bank, ada.user_id, ada.account_id, amount="0.99")
    assert worker.tick(1.0) == {}  # not due yet
    assert worker.tick(2.0)["warehouse"] == 1
    assert balances() == "10.99"
    worker.shutdown()


def test_days_are_counted_in_the_reporting_time_zone(bank, tmp_path):
    from datetime import UTC, datetime

    from conftest import at
    from flaskbank.warehouse.base import WarehouseError
    from flaskbank.warehouse.duck import DuckWarehouse

    ada = new_customer(bank)
    with at(bank, datetime(2024, 3, 10, 23, 30, tzinfo=UTC)):  # 00:30 on the 11th in Berlin
        postings.deposit(bank, ada.user_id, ada.account_id, amount="7.00")
    berlin = DuckWarehouse(tmp_path / "w.duckdb", timezone="Europe/Berlin")
    feed.sync(bank.store, berlin)
    with berlin.reading() as reader:
        assert [(f.day, f.deposits) for f in reader.day_flows(date(2024, 12, 31))] == [
            (date(2024, 3, 11), 700)
        ]
    utc = DuckWarehouse(tmp_path / "w.duckdb")  # the setting changed: days would mix zones
    with pytest.raises(WarehouseError, match="rebuild"):
        feed.sync(bank.store, utc)
    feed.sync(bank.store, utc, fresh=True)
    with utc.reading() as reader:
        assert [f.day for f in reader.day_flows(date(2024, 12, 31))] == [date(2024, 3, 10)]
