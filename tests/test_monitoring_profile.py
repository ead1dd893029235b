"""The customer's monitoring profile: built from the feed one event at a time, from the
customer's own side of each posting, idempotently, bounded in size, and stored as JSON."""

from __future__ import annotations

import json

from flaskbank.domain.events import EventKind
from flaskbank.domain.monitoring.model import StoredProfile
from flaskbank.domain.monitoring.profile import (
    MAX_MONTHS,
    Profile,
    minor,
    month_of,
    observe,
    seconds,
)
from monitoring_support import START, Feed, days


def test_each_side_of_a_transfer_sees_it_from_its_own_account():
    feed = Feed()
    (alice,) = feed.customer("alice")
    (bob,) = feed.customer("bob")
    feed.deposit(alice, "500.00", START)
    feed.transfer(alice, bob, "120.50", START + days(1))
    a, b = feed.replayer.profiles["alice"], feed.replayer.profiles["bob"]
    assert [amount for _, amount, _ in a.debits] == [12050]
    assert a.knows(bob) and b.knows(alice)
    assert b.debits == [] and [amount for _, amount, _ in b.credits] == [12050]
    assert b.credits[0][2] == 1  # from someone bob never dealt with
    assert a.hours[9] == 2 and sum(b.hours) == 0  # bob did nothing himself


def test_applying_the_same_event_again_changes_nothing():
    feed = Feed()
    (alice,) = feed.customer("alice")
    feed.deposit(alice, "500.00", START)
    feed.withdraw(alice, "20.00", START + days(1))
    profile = feed.replayer.profiles["alice"]
    before = profile.dump()
    posted = feed.events[-1]
    assert observe(profile, posted, account_id=alice) is False
    assert profile.dump() == before


def test_money_between_the_customers_own_accounts_is_no_spending():
    feed = Feed()
    checking, savings = feed.customer("carol", accounts=2)
    feed.deposit(checking, "900.00", START)
    feed.transfer(savings, checking, "0.01", START)  # savings seen first, as own
    feed.transfer(checking, savings, "800.00", START + days(1))
    profile = feed.replayer.profiles["carol"]
    assert profile.debits == []
    assert profile.counterparties == {}


def test_devices_and_addresses_are_news_only_after_the_first():
    feed = Feed()
    feed.customer("dan")
    feed.security("dan", EventKind.LOGIN_SUCCEEDED, START, ip="10.0.0.1", device="ios-1")
    feed.security("dan", EventKind.LOGIN_SUCCEEDED, START + days(1), ip="10.0.0.1", device="ios-1")
    assert feed.replayer.profiles["dan"].security == []
    feed.security("dan", EventKind.LOGIN_SUCCEEDED, START + days(2), ip="45.1.2.3", device="web-9")
    feed.security("dan", EventKind.PASSWORD_CHANGED, START + days(2))
    whats = [what for _, what in feed.replayer.profiles["dan"].security]
    assert whats == ["new device web-9", "new IP address 45.1.2.3", "password changed"]


def test_a_profile_stays_small_whatever_the_customer_does():
    feed = Feed()
    (busy,) = feed.customer("busy")
    others = [feed.customer(f"shop{i}")[0] for i in range(200)]
    feed.deposit(busy, "100000.00", START)
    for i, shop in enumerate(others):
        feed.transfer(busy, shop, f"{10 + i}.25", START + days(i / 10))
        feed.security(
            "busy",
            EventKind.LOGIN_SUCCEEDED,
            START + days(i / 10),
            ip=f"100.64.0.{i}",
            device=f"phone-{i}",
        )
    text = feed.replayer.profiles["busy"].dump()
    assert len(text) < 6_000


def test_the_typical_debit_is_kept_by_month_for_at_most_max_months():
    feed = Feed()
    (spender,) = feed.customer("spender")
    feed.deposit(spender, "100000.00", START)
    for d in range(0, 730, 5):  # two years, a payment every five days
        feed.withdraw(spender, "25.00" if d < 365 else "50.00", START + days(d))
    profile = feed.replayer.profiles["spender"]
    months = sorted(key >> 1 for key in profile.months)  # month * 2 + transfer?
    now = month_of(seconds(feed.events[-1].at))
    assert months[-1] == now and len(months) == MAX_MONTHS == now - months[0] + 1
    # The last year's payments were all 50.00: that is what is typical of the year.
    year = profile.typical_debit(seconds(feed.events[-1].at) - 300 * 86_400, 0)
    assert (year.amount, year.largest, year.spread) == (5000, 5000, 0) and year.n >= 60


def test_a_profile_kept_before_the_monthly_sums_starts_them_from_its_debits():
    feed = Feed()
    (alice,) = feed.customer("alice")
    feed.deposit(alice, "500.00", START)
    for d in range(12):
        feed.withdraw(alice, "20.00", START + days(d))
    text = feed.replayer.profiles["alice"].dump()
    old = json.loads(text)
    del old["m"]
    loaded = Profile.load(StoredProfile("alice", json.dumps(old), 1), "alice")
    assert loaded.typical_debit(seconds(START.isoformat()), 0)[:3] == (12, 2000, 2000)
    assert loaded.dump() == text


def test_dump_and_load_round_trip():
    feed = Feed()
    (alice,) = feed.customer("alice")
    (bob,) = feed.customer("bob")
    feed.deposit(alice, "500.00", START)
    feed.transfer(alice, bob, "120.50", START + days(1))
    feed.security("alice", EventKind.LOGIN_SUCCEEDED, START, ip="1.1.1.1", device="a")
    feed.security("alice", EventKind.EMAIL_CHANGED, START + days(2))
    original = feed.replayer.profiles["alice"]
    loaded = Profile.load(StoredProfile("alice", original.dump(), 3), "alice")
    assert loaded.dump() == original.dump()
    assert Profile.load(None, "zoe").dump() == Profile("zoe").dump()


def test_amounts_and_times_parse_exactly():
    assert [minor(t) for t in ("12.34", "-0.05", "7", "0.5", "-1000.00")] == [
        1234,
        -5,
        700,
        50,
        -100000,
    ]
    assert seconds("1970-01-02T00:00:01.000000Z") == 86_401
    assert seconds("2024-03-01T09:30:15.123456Z") - seconds("2024-02-29T09:30:15.000000Z") == 86_400
