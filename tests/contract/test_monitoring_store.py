"""Monitoring's storage on both stores: profiles and the rule set saved conditionally, every
version of each rule kept, alerts resolved exactly once and listed newest first through
every filter and page, backtests, and the profile and rules read with a posting's accounts."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conftest import at, balance, forget_schema_version, new_customer
from flaskbank.domain.errors import InsufficientFunds, StaleRecord, ValidationFailed, WriteConflict
from flaskbank.domain.events import EventKind
from flaskbank.domain.ledger import PostResult
from flaskbank.domain.monitoring.model import (
    Action,
    Alert,
    AlertNote,
    AlertStatus,
    Backtest,
    Decision,
    Hit,
    RuleChange,
    Severity,
    StoredProfile,
    StoredRuleSet,
    Verdict,
)
from flaskbank.domain.monitoring.profile import seconds
from flaskbank.services import postings
from flaskbank.services.ledger_checks import verify
from flaskbank.store.sqlite import SqliteStore


def verdict(*rules: str) -> Verdict:
    hits = tuple(
        Hit(r, "amount_over", 2, 40, Action.SCORE, f"amount 9,800.00 is over 5,000.00 ({r})")
        for r in rules
    )
    return Verdict(Decision.REVIEW, 40 * len(rules), hits, tuple((r, 2) for r in rules))


def alert(n: int, *rules: str, customer: str = "u-1", **kw: object) -> Alert:
    fields: dict[str, object] = dict(
        id=f"al-{n:04d}",
        created_at=f"2026-03-{1 + n // 24:02d}T{n % 24:02d}:00:00.000000Z",
        severity=Severity.HIGH,
        score=40 * len(rules),
        status=AlertStatus.OPEN,
        customer_id=customer,
        account_id=f"acc-{customer}",
        decision=Decision.REVIEW,
        verdict=verdict(*rules),
        amount="9800.00",
        currency="EUR",
        hold_id=f"h-{n}",
    )
    return Alert(**{**fields, **kw})  # type: ignore[arg-type]


def every_page(store, **filters) -> list[str]:
    """The ids of every alert the listing gives, page by page (3 a page)."""
    ids: list[str] = []
    cursor = None
    while True:
        page = store.monitoring.alerts(limit=3, cursor=cursor, **filters)
        assert len(page.items) <= 3
        ids += [a.id for a in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_a_profile_is_saved_new_then_only_from_the_version_read(store):
    mon = store.monitoring
    assert mon.profile("u-1") is None
    first = mon.save_profile(StoredProfile("u-1", '{"median": 6900}'))
    assert first == StoredProfile("u-1", '{"median": 6900}', 1)
    assert mon.profile("u-1") == first
    with pytest.raises(StaleRecord):  # someone made it meanwhile
        mon.save_profile(StoredProfile("u-1", '{"median": 1}'))
    second = mon.save_profile(replace(first, data='{"median": 7000}'))
    assert second.version == 2
    with pytest.raises(StaleRecord):  # saved from the version read before the last save
        mon.save_profile(replace(first, data='{"median": 1}'))
    assert mon.profile("u-1") == second
    assert mon.profile("u-2") is None


def change(rule_id: str, version: int, by: str = "fiona") -> RuleChange:
    return RuleChange(rule_id, version, f"2026-03-0{version}T09:00:00Z", by, f'{{"v": {version}}}')


def test_the_rule_set_keeps_every_change_and_refuses_a_stale_save(store):
    mon = store.monitoring
    assert mon.rule_set() is None
    live = mon.save_rule_set(
        StoredRuleSet('{"rules": 1}'), [change("big", 1), change("thresholds", 1)]
    )
    assert live == StoredRuleSet('{"rules": 1}', 1) == mon.rule_set()
    with pytest.raises(StaleRecord):  # seeded twice at once: the second refused
        mon.save_rule_set(StoredRuleSet('{"rules": "other"}'), [change("big", 1, "eve")])
    live = mon.save_rule_set(replace(live, data='{"rules": 2}'), [change("big", 2)])
    with pytest.raises(StaleRecord):
        mon.save_rule_set(StoredRuleSet('{"rules": 1}', 1), [change("round", 2)])
    assert mon.rule_set() == StoredRuleSet('{"rules": 2}', 2)
    assert [(c.version, c.by, c.data) for c in mon.rule_history("big")] == [
        (2, "fiona", '{"v": 2}'),
        (1, "fiona", '{"v": 1}'),
    ]
    assert [c.version for c in mon.rule_history("thresholds")] == [1]
    assert mon.rule_history("round") == []  # the refused save kept nothing


def test_an_alert_is_kept_whole_and_saved_from_its_version(store):
    mon = store.monitoring
    raised = alert(1, "big", "round")
    mon.add_alert(raised)
    assert mon.get_alert(raised.id) == raised
    assert mon.get_alert("al-none") is None
    note = AlertNote("2026-03-02T10:00:00Z", "fiona", "called the customer")
    worked = replace(
        raised, status=AlertStatus.INVESTIGATING, assignee="fiona", notes=(note,), version=2
    )
    assert mon.save_alert(worked) == worked
    assert mon.get_alert(raised.id) == worked
    with pytest.raises(StaleRecord):  # saved from the version read before the last save
        mon.save_alert(replace(raised, status=AlertStatus.FALSE_POSITIVE, version=2))
    assert mon.get_alert(raised.id) == worked


def test_an_alert_or_backtest_is_added_once_and_only_a_kept_one_is_saved(store):
    mon = store.monitoring
    mon.add_alert(alert(1, "big"))
    with pytest.raises(WriteConflict):
        mon.add_alert(alert(1, "round", customer="u-2"))
    assert mon.get_alert("al-0001") == alert(1, "big")
    with pytest.raises(StaleRecord):  # saving one never added creates nothing
        mon.save_alert(replace(alert(2, "big"), version=2))
    assert mon.get_alert("al-0002") is None
    assert [a.id for a in mon.alerts(limit=5).items] == ["al-0001"]
    queued = Backtest("bt-1", "t", "fiona", "2026-01-01", "2026-02-01", "{}")
    mon.add_backtest(queued)
    with pytest.raises(WriteConflict):
        mon.add_backtest(replace(queued, created_by="eve"))
    assert mon.get_backtest("bt-1") == queued


def test_two_analysts_resolving_an_alert_at_once_resolve_it_once(store):
    mon = store.monitoring
    mon.add_alert(alert(1, "big"))
    read = mon.get_alert("al-0001")
    closes = {
        "fiona": replace(read, status=AlertStatus.CONFIRMED_FRAUD, closed_by="fiona", version=2),
        "gus": replace(read, status=AlertStatus.FALSE_POSITIVE, closed_by="gus", version=2),
    }
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def resolve(who: str) -> None:
        start.wait()
        try:
            mon.save_alert(closes[who])
            outcomes[who] = "saved"
        except StaleRecord:
            outcomes[who] = "stale"

    threads = [threading.Thread(target=resolve, args=(who,)) for who in closes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["saved", "stale"]
    winner = next(who for who, outcome in outcomes.items() if outcome == "saved")
    assert mon.get_alert("al-0001") == closes[winner]


@pytest.fixture
def queue(store) -> list[Alert]:
    """Ten alerts on two customers, in the order they were raised (not in the order added)."""
    alerts = [
        alert(n, *rules, customer=customer)
        for n, rules, customer in (
            (0, ("big",), "u-1"),
            (1, ("round", "big"), "u-2"),
            (2, ("velocity",), "u-1"),
            (3, ("big",), "u-2"),
            (4, ("round",), "u-1"),
            (5, ("big", "velocity"), "u-1"),
            (6, ("round",), "u-2"),
            (7, ("big",), "u-1"),
            (25, ("big",), "u-2"),  # the next day
            (26, ("velocity",), "u-1"),
        )
    ]
    for a in reversed(alerts):
        store.monitoring.add_alert(a)
    for n in CLOSED:
        closed = replace(alerts[n], status=AlertStatus.FALSE_POSITIVE, version=2)
        store.monitoring.save_alert(closed)
    return alerts


CLOSED = (2, 6, 7)


def newest_first(alerts, keep=lambda a: True) -> list[str]:
    return [a.id for a in sorted(alerts, key=lambda a: a.created_at, reverse=True) if keep(a)]


def test_alerts_are_listed_newest_first_through_every_page(store, queue):
    assert every_page(store) == newest_first(queue)
    first = store.monitoring.alerts(limit=4)
    assert [a.id for a in first.items] == newest_first(queue)[:4]
    assert store.monitoring.alerts(limit=20).next_cursor is None


@pytest.mark.parametrize(
    "filters, keep",
    [
        ({"status": AlertStatus.OPEN}, lambda a: int(a.id[3:]) not in CLOSED),
        ({"status": AlertStatus.FALSE_POSITIVE}, lambda a: int(a.id[3:]) in CLOSED),
        ({"status": AlertStatus.CONFIRMED_FRAUD}, lambda a: False),
        ({"customer_id": "u-2"}, lambda a: a.customer_id == "u-2"),
        ({"rule": "big"}, lambda a: "big" in [h.rule_id for h in a.verdict.hits]),
        ({"rule": "velocity"}, lambda a: "velocity" in [h.rule_id for h in a.verdict.hits]),
        ({"rule": "nobody"}, lambda a: False),
        ({"since": "2026-03-01T03:00:00.000000Z"}, lambda a: a.created_at >= "2026-03-01T03"),
        ({"until": "2026-03-01T03:00:00.000000Z"}, lambda a: a.created_at < "2026-03-01T03"),
        (
            {"since": "2026-03-01T02:00:00.000000Z", "until": "2026-03-02", "customer_id": "u-1"},
            lambda a: a.customer_id == "u-1" and "2026-03-01T02" <= a.created_at < "2026-03-02",
        ),
        (
            {"rule": "big", "status": AlertStatus.OPEN, "customer_id": "u-1"},
            lambda a: (
                a.customer_id == "u-1"
                and "big" in [h.rule_id for h in a.verdict.hits]
                and int(a.id[3:]) not in CLOSED
            ),
        ),
    ],
)
def test_each_filter_keeps_its_alerts_through_every_page(store, queue, filters, keep):
    ids = every_page(store, **filters)
    assert len(ids) == len(set(ids))  # no alert twice
    assert ids == newest_first(queue, keep)


def test_a_listing_shows_alerts_as_last_saved(store, queue):
    assert [a.status for a in store.monitoring.alerts(limit=10, customer_id="u-2").items] == [
        AlertStatus.OPEN,
        AlertStatus.FALSE_POSITIVE,
        AlertStatus.OPEN,
        AlertStatus.OPEN,
    ]


def test_a_cursor_not_issued_by_the_store_is_refused(store, queue):
    with pytest.raises(ValidationFailed):
        store.monitoring.alerts(limit=3, cursor="bm90LWEtY3Vyc29y")


def test_a_backtest_is_kept_and_saved_from_its_version(store):
    mon = store.monitoring
    queued = Backtest(
        "bt-1", "2026-03-01T09:00:00Z", "fiona", "2026-01-01", "2026-02-01", '{"rules": []}'
    )
    mon.add_backtest(queued)
    assert mon.get_backtest("bt-1") == queued
    assert mon.get_backtest("bt-2") is None
    running = mon.save_backtest(
        replace(queued, status="running", progress=500, total=2000, version=2)
    )
    done = replace(
        running,
        status="done",
        progress=2000,
        result='{"total_alerts": 3}',
        version=3,
        extra={"seed": 7},
    )
    mon.save_backtest(done)
    with pytest.raises(StaleRecord):  # a second runner reporting progress it read before
        mon.save_backtest(replace(running, progress=900, version=3))
    assert mon.get_backtest("bt-1") == done


def test_a_posting_reads_the_profile_and_the_rules_with_its_accounts(bank):
    store = bank.store
    ada = new_customer(bank, deposit="50.00")
    bare = store.ledger.read_for_posting([ada.account_id], profile_of=ada.user_id, with_rules=True)
    assert ada.account_id in bare.accounts
    assert bare.profile is None and bare.rules is None  # nothing kept yet
    profile = store.monitoring.save_profile(StoredProfile(ada.user_id, '{"n": 1}'))
    rules = store.monitoring.save_rule_set(StoredRuleSet('{"rules": []}'), [])
    read = store.ledger.read_for_posting(
        [ada.account_id],
        idempotency=(ada.user_id, "k-1"),
        profile_of=ada.user_id,
        with_rules=True,
    )
    assert (read.profile, read.rules) == (profile, rules)
    assert read.accounts[ada.account_id].balance == bare.accounts[ada.account_id].balance
    plain = store.ledger.read_for_posting([ada.account_id])
    assert (plain.profile, plain.rules) == (None, None)  # only when asked


def test_a_unit_of_work_that_rolls_back_leaves_no_alert_and_no_profile_change(store):
    mon = store.monitoring
    kept = mon.save_profile(StoredProfile("u-1", '{"n": 1}'))
    with pytest.raises(RuntimeError), store.unit_of_work():
        mon.add_alert(alert(1, "big"))
        mon.save_profile(replace(kept, data='{"n": 2}'))
        mon.save_profile(StoredProfile("u-2", '{"n": 1}'))
        raise RuntimeError("the posting failed")
    assert mon.get_alert("al-0001") is None
    assert mon.profile("u-1") == kept
    assert mon.profile("u-2") is None
    assert mon.alerts(limit=5).items == []
    assert mon.alerts(limit=5, rule="big").items == []
    with store.unit_of_work() as uow:  # and one that commits keeps both
        mon.add_alert(alert(1, "big"))
        mon.save_profile(replace(kept, data='{"n": 2}'))
        uow.commit()
    assert mon.get_alert("al-0001") == alert(1, "big")
    assert mon.profile("u-1") == replace(kept, data='{"n": 2}', version=2)


def test_a_store_whose_version_records_were_lost_migrates_again_keeping_monitoring(store):
    """Every step runs again on tables that exist already (steps look before they alter)."""
    mon = store.monitoring
    mon.add_alert(alert(1, "big"))
    kept = mon.save_profile(StoredProfile("u-1", '{"n": 1}'))
    forget_schema_version(store)
    store.init_schema()
    store.check_schema()
    assert mon.get_alert("al-0001") == alert(1, "big")
    assert mon.profile("u-1") == kept
    assert [a.id for a in mon.alerts(limit=5, rule="big").items] == ["al-0001"]


def test_a_posting_commits_with_its_alert_and_profile_in_one_unit_of_work_or_not_at_all(bank):
    """An alert commits with the posting it is about (scoring inline, issue 11)."""
    store, mon = bank.store, bank.store.monitoring
    ada = new_customer(bank, deposit="100.00")
    raised = alert(1, "big", customer=ada.user_id)
    with pytest.raises(RuntimeError), store.unit_of_work():
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="60.00")
        mon.add_alert(raised)
        mon.save_profile(StoredProfile(ada.user_id, '{"n": 1}'))
        raise RuntimeError("the request failed before commit")
    assert balance(bank, ada.account_id) == Decimal("100.00")
    assert (mon.get_alert(raised.id), mon.profile(ada.user_id)) == (None, None)
    feed = len(store.events.read(after=None, limit=100).events)

    def scored() -> PostResult:
        result = postings.withdraw(bank, ada.user_id, ada.account_id, amount="60.00")
        mon.add_alert(replace(raised, transaction_id=result.transaction.id, hold_id=None))
        mon.save_profile(StoredProfile(ada.user_id, '{"n": 1}'))
        return result

    posted = bank.in_unit(scored)
    assert balance(bank, ada.account_id) == Decimal("40.00")
    assert mon.get_alert(raised.id).transaction_id == posted.transaction.id
    assert mon.profile(ada.user_id).version == 1
    assert store.ledger.get_transaction(posted.transaction.id) == posted.transaction
    news = store.events.read(after=None, limit=100).events[feed:]
    assert [e.kind for e in news] == [EventKind.TRANSACTION_POSTED]
    with pytest.raises(InsufficientFunds):  # refused inside the unit as outside it
        bank.in_unit(lambda: postings.withdraw(bank, ada.user_id, ada.account_id, amount="41"))
    assert balance(bank, ada.account_id) == Decimal("40.00")


def _file_under_other_rules(store, alert_id: str) -> None:
    """Make the alert's copy of its rules (the rule filter's) disagree with its verdict."""
    if store_kind_of(store) == "sqlite":
        db = store.database.conn
        db.execute("DELETE FROM alert_rules WHERE alert_id=? AND rule_id='velocity'", (alert_id,))
        return
    from flaskbank.store.dynamo import items as di
    from flaskbank.store.dynamo import monitoring_items as mi

    store.db.client.update_item(
        TableName=store.tables.monitoring,
        Key=di.to_wire(mi.alert_key(alert_id)),
        UpdateExpression="SET #r = :r",
        ExpressionAttributeNames={"#r": "rules"},
        ExpressionAttributeValues=di.to_wire({":r": ["round"]}),
    )


def store_kind_of(store) -> str:
    return "sqlite" if isinstance(store, SqliteStore) else "dynamodb"


def test_verify_names_an_alert_whose_rules_disagree_with_its_verdict(bank):
    mon = bank.store.monitoring
    mon.add_alert(alert(1, "big"))
    mon.add_alert(alert(2, "big", "velocity"))
    assert verify(bank).problems == []
    _file_under_other_rules(bank.store, "al-0002")
    assert [p for p in verify(bank).problems if "al-0002" in p] != []
    assert [p for p in verify(bank).problems if "al-0001" in p] == []


def test_recent_entries_drop_the_fraction_of_a_second_as_the_scorer_does(bank):
    """Near the end of a second the time must not round up into the next one: window
    rules count by whole seconds, replays included (profile.seconds)."""
    ada = new_customer(bank, "Ada Lovelace", deposit="100.00")
    bob = new_customer(bank, "Bob Stone")
    moment = datetime(2031, 1, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    with at(bank, moment):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1.00", to_account_number=bob.account_number
        )
    (newest,) = bank.store.ledger.recent(ada.account_id, since="2031-01-01", limit=10)
    assert newest.at == int(moment.timestamp()) == seconds("2031-01-01T23:59:59.999999Z")


def test_recent_entries_are_the_history_newest_first_in_scoring_form(bank):
    """What scoring reads on every posting: the same lines as the history, lighter."""
    ada = new_customer(bank, "Ada Lovelace", deposit="100.00")
    bob = new_customer(bank, "Bob Stone")
    for amount in ("10.00", "20.00", "30.00"):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount=amount, to_account_number=bob.account_number
        )
    history = bank.store.ledger.history(ada.account_id, limit=10).items
    recent = bank.store.ledger.recent(ada.account_id, since="2000-01-01T00:00:00Z", limit=10)
    assert (
        [r.amount for r in recent]
        == [e.amount.minor for e in history]
        == [
            -3000,
            -2000,
            -1000,
            10000,
        ]
    )
    assert [r.balance_after for r in recent] == [4000, 7000, 9000, 10000]
    # The time in whole seconds, its fraction dropped, as the scorer's own parsing gives it.
    assert [r.at for r in recent] == [seconds(e.created_at) for e in history]
    assert [r.counterparty for r in recent] == [e.counterparty for e in history]
    assert len(bank.store.ledger.recent(ada.account_id, since="2000-01-01", limit=2)) == 2
    assert bank.store.ledger.recent(ada.account_id, since="2999-01-01", limit=10) == []
