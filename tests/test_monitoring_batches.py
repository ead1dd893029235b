"""The monitoring consumer applies a batch of the feed at once, on both stores: the profiles
it leaves are those that applying the events one by one leaves, a batch applied again
changes nothing (profiles, alerts, an alert an analyst has worked), and a profile that
another writer moved meanwhile is read again and re-applied alone."""

from __future__ import annotations

import uuid
from dataclasses import replace

from conftest import Customer, new_customer
from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.holds import Hold
from flaskbank.domain.monitoring.model import AlertStatus, StoredProfile
from flaskbank.domain.monitoring.profile import Profile
from flaskbank.services import postings
from flaskbank.services.bank import Bank
from flaskbank.services.monitoring import consumer
from flaskbank.services.monitoring.live import BOARD_KEY
from test_monitoring_support import review_rules


def busy_day(bank: Bank) -> tuple[list[Customer], list[Event]]:
    """Three customers moving money between them (several events each, both sides of each
    transfer), a login of one, and a transfer held for review; the whole feed."""
    review_rules(bank)  # transfers from 50.00 wait for review
    ada, bob, cy = (new_customer(bank, n, deposit="900.00") for n in ("Ada A", "Bob B", "Cy C"))
    for amount, (a, b) in zip(
        ("12.00", "7.50", "30.00", "4.25", "19.99"),
        ((ada, bob), (bob, ada), (ada, cy), (cy, bob), (ada, bob)),
        strict=True,
    ):
        postings.transfer(
            bank, a.user_id, a.account_id, amount=amount, to_account_number=b.account_number
        )
    postings.deposit(bank, ada.user_id, ada.account_id, amount="40.00")
    held = postings.transfer(
        bank, bob.user_id, bob.account_id, amount="80.00", to_account_number=cy.account_number
    )
    assert isinstance(held, Hold)
    login = Event(
        str(uuid.uuid4()),
        EventKind.LOGIN_SUCCEEDED,
        ada.user_id,
        ada.user_id,
        bank.now(),
        {"ip": "10.0.0.9", "device": "ios-7"},
    )
    bank.store.events.append(login)
    return [ada, bob, cy], bank.store.events.read(after=None, limit=1000).events


def profiles_of(bank: Bank, people: list[Customer]) -> dict[str, StoredProfile | None]:
    return {p.user_id: bank.store.monitoring.profile(p.user_id) for p in people}


def forget_profiles(bank: Bank, people: list[Customer]) -> None:
    """Put each profile back to a new customer's (saved over, as no store deletes them)."""
    for p in people:
        stored = bank.store.monitoring.profile(p.user_id)
        assert stored is not None
        empty = Profile.load(None, p.user_id).dump()
        bank.store.monitoring.save_profile(replace(stored, data=empty))


def test_a_batch_leaves_the_profiles_applying_its_events_one_by_one_leaves(bank):
    people, events = busy_day(bank)
    one_by_one = consumer.MonitoringConsumer(bank)
    for event in events:
        one_by_one.apply(event)
    expected = {u: p and p.data for u, p in profiles_of(bank, people).items()}
    assert all(expected.values())
    forget_profiles(bank, people)

    consumer.MonitoringConsumer(bank).apply_all(events)

    assert {u: p and p.data for u, p in profiles_of(bank, people).items()} == expected


def test_a_batch_applied_again_changes_nothing(bank):
    people, events = busy_day(bank)
    assert consumer.catch_up(bank) == len(events)
    profiles = profiles_of(bank, people)
    [alert] = bank.store.monitoring.alerts(limit=10).items
    worked = bank.store.monitoring.save_alert(
        replace(alert, status=AlertStatus.INVESTIGATING, assignee="fiona", version=2)
    )

    consumer.MonitoringConsumer(bank).apply_all(events)  # delivered again, at least once

    assert profiles_of(bank, people) == profiles  # not even a version moved
    assert bank.store.monitoring.alerts(limit=10).items == [worked]


def test_a_profile_moved_meanwhile_is_read_again_and_reapplied_alone(bank):
    people, events = busy_day(bank)
    ada = people[0].user_id
    mon = bank.store.monitoring
    asked: list[set[str]] = []
    reads, saves = mon.profiles, mon.save_profiles

    def profiles(user_ids):
        asked.append(set(user_ids))
        return reads(user_ids)

    def save_profiles(changed):
        if len(asked) == 1:  # another writer moves Ada's profile between read and write
            rival = Profile.load(None, ada)
            rival.devices = ["rival-device"]
            mon.save_profile(StoredProfile(ada, rival.dump()))
        return saves(changed)

    mon.profiles, mon.save_profiles = profiles, save_profiles  # type: ignore[method-assign]
    consumer.MonitoringConsumer(bank).apply_all(events)

    assert asked[1:] == [{ada}]  # only the stale profile was read again
    stored = mon.profile(ada)
    assert stored is not None and stored.version == 2
    again = Profile.load(stored, ada)
    assert "rival-device" in again.devices  # the other writer's change was kept
    assert "ios-7" in again.devices  # and the batch's events applied over it


def test_the_live_board_is_not_a_customer_and_counts_a_batch_once(bank):
    _, events = busy_day(bank)
    consumer.catch_up(bank)
    board = bank.store.monitoring.profile(BOARD_KEY)
    assert board is not None
    assert board.data.count('"decision":"review"') == 1
    assert board.version == 1  # the whole feed was one batch: one save
    assert len(events) < consumer.BATCH
