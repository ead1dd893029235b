"""The monitoring port's batch methods, on both stores: many profiles read together and
written each on its own (a stale one named, the others saved), alerts added once whatever
is delivered again, and accounts' owners read together."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import new_customer
from contract.test_monitoring_store import alert
from flaskbank.domain.monitoring.model import AlertStatus, StoredProfile

#: More than one BatchGetItem's 100 keys.
MANY = 130


def test_many_profiles_are_read_together_and_missing_ones_left_out(store):
    mon = store.monitoring
    users = [f"u-{n:03d}" for n in range(MANY)]
    for user in users[::2]:
        mon.save_profile(StoredProfile(user, f'{{"who": "{user}"}}'))
    mon.save_profile(replace(mon.profile("u-000"), data='{"who": "again"}'))

    found = mon.profiles([*users, "u-000", "nobody"])

    assert sorted(found) == users[::2]
    assert found["u-000"] == StoredProfile("u-000", '{"who": "again"}', 2)
    assert found["u-128"] == StoredProfile("u-128", '{"who": "u-128"}', 1)
    assert mon.profiles([]) == {}


def test_profiles_are_saved_each_from_its_version_and_the_stale_ones_named(store):
    mon = store.monitoring
    kept = mon.save_profile(StoredProfile("kept", "{}"))
    moved = mon.save_profile(StoredProfile("moved", "{}"))
    mon.save_profile(replace(moved, data='{"by": "someone else"}'))  # after we read it
    mon.save_profile(StoredProfile("taken", '{"by": "someone else"}'))  # we thought it new
    fresh = [StoredProfile(f"new-{n:03d}", f'{{"n": {n}}}') for n in range(MANY)]

    stale = mon.save_profiles(
        [
            replace(kept, data='{"by": "us"}'),
            replace(moved, data='{"by": "us"}'),
            StoredProfile("taken", '{"by": "us"}'),
            *fresh,
        ]
    )

    assert stale == {"moved", "taken"}
    assert mon.profile("kept") == StoredProfile("kept", '{"by": "us"}', 2)
    assert mon.profile("moved") == StoredProfile("moved", '{"by": "someone else"}', 2)
    assert mon.profile("taken") == StoredProfile("taken", '{"by": "someone else"}', 1)
    assert mon.profiles([p.user_id for p in fresh]) == {
        p.user_id: replace(p, version=1) for p in fresh
    }
    assert mon.save_profiles([]) == set()


def test_alerts_are_added_once_and_one_already_there_is_left_as_it_is(store):
    mon = store.monitoring
    mon.add_alert(alert(1, "big"))
    worked = mon.save_alert(
        replace(mon.get_alert("al-0001"), status=AlertStatus.INVESTIGATING, version=2)
    )
    batch = [alert(1, "big"), alert(2, "big", "round"), alert(3, "velocity")]

    assert mon.add_alerts(batch) == {"al-0002", "al-0003"}
    assert mon.add_alerts(batch) == set()  # delivered again: nothing more

    assert mon.get_alert("al-0001") == worked
    assert mon.get_alert("al-0002") == alert(2, "big", "round")
    listed = mon.alerts(limit=10, rule="big").items
    assert [a.id for a in listed] == ["al-0002", "al-0001"]  # the rule filter knows them
    assert mon.add_alerts([]) == set()


def test_batch_writes_are_not_part_of_a_unit_of_work(store):
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.monitoring.save_profiles([StoredProfile("u-1", "{}")])
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.monitoring.add_alerts([alert(1, "big")])
    assert store.monitoring.profile("u-1") is None
    assert store.monitoring.get_alert("al-0001") is None


def test_the_owners_of_many_accounts_are_read_together(bank):
    ada = new_customer(bank, "Ada Lovelace")
    bob = new_customer(bank, "Bob Babbage")
    asked = [ada.account_id, bob.account_id, ada.account_id, "no-such-account"]

    assert bank.store.ledger.owners(asked) == {
        ada.account_id: ada.user_id,
        bob.account_id: bob.user_id,
    }
    assert bank.store.ledger.owners([]) == {}
