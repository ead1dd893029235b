"""Scoring a posting before it commits: what each default rule catches, with the numbers in
its explanation; how scores and actions combine into the decision; and that a new
customer's ordinary first steps go through."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from flaskbank.domain.events import EventKind
from flaskbank.domain.ledger import Entry, TransactionType
from flaskbank.domain.money import Money
from flaskbank.domain.monitoring import rules, scoring
from flaskbank.domain.monitoring.model import (
    Action,
    Candidate,
    Decision,
    RuleSet,
    Thresholds,
    Verdict,
)
from flaskbank.domain.monitoring.profile import Profile
from monitoring_support import START, Feed, days, rules_fired

APPROVE, REVIEW, BLOCK = Decision.APPROVE, Decision.REVIEW, Decision.BLOCK


def test_a_new_customers_ordinary_first_steps_are_approved():
    feed = Feed()
    (mine,) = feed.customer("new")
    (friend,) = feed.customer("friend")
    assert feed.deposit(mine, "1000.00", START).decision is APPROVE
    first = feed.transfer(mine, friend, "250.00", START + timedelta(minutes=1))
    assert first.decision is APPROVE
    burst = [
        feed.transfer(mine, friend, "1.00", START + timedelta(minutes=2, seconds=2 * i))
        for i in range(30)
    ]
    assert all(v.decision is APPROVE for v in burst)
    (hit,) = burst[-1].hits  # seen and scored, but velocity alone holds nothing
    assert hit.explanation == "31 debits in 1 hour (limit 20)"
    assert feed.withdraw(mine, "200.00", START + timedelta(minutes=5)).decision is APPROVE


def test_a_new_customer_sending_most_of_a_deposit_to_another_new_customer_is_approved():
    """As the API and web tests do: deposit, then a transfer of most of it to a new payee."""
    feed = Feed()
    (mine,) = feed.customer("new")
    (other,) = feed.customer("other")
    feed.deposit(mine, "100.00", START)
    assert feed.transfer(mine, other, "100.00", START + timedelta(seconds=5)).decision is APPROVE
    feed.deposit(mine, "5000.00", START + timedelta(seconds=6))
    assert feed.transfer(mine, other, "1000.00", START + timedelta(seconds=7)).decision is APPROVE


def _spender(feed: Feed, user: str = "sam") -> str:
    """A customer with three months of card spending around 40.00 and rent of 900.00."""
    (account,) = feed.customer(user, START - days(100))
    (landlord,) = feed.customer(f"{user}-landlord", START - days(100))
    feed.deposit(account, "20000.00", START - days(99))
    for d in range(90):
        when = START - days(95) + days(d) + timedelta(hours=d % 9)
        feed.withdraw(account, f"{30 + d % 20}.{d % 100:02d}", when)
        if d % 30 == 0:
            feed.transfer(account, landlord, "900.00", when + timedelta(hours=1))
    return account


def test_an_outlier_is_explained_with_the_typical_debit_it_is_measured_against():
    feed = Feed()
    account = _spender(feed)
    verdict = feed.withdraw(account, "1500.00", START)
    assert verdict.decision is REVIEW
    (hit,) = [h for h in verdict.hits if h.rule_id == "outlier"]
    # The 90 card payments' geometric mean is 38.97 (exp of their logs' mean), 1,500.00 is
    # 38.4x that and 24.7 standard deviations of their logs (about 0.15) above their mean;
    # the lookback of 365 days starts with the month of 2023-01-01.
    assert hit.explanation == (
        "amount 1,500.00 is 38.4x this customer's typical cash withdrawal 38.97, 24.7 "
        "standard deviations of their own above it (the geometric mean of 90 since 2023-01; "
        "the largest was 49.79)"
    )
    # Rent as usual is no outlier, though far above the card spending.
    landlord = "sam-landlord-acc0"
    assert feed.transfer(account, landlord, "900.00", START + days(1)).decision is APPROVE


def test_the_typical_debit_outlives_the_recent_debits_kept():
    """A year of payments counts, not only the last MAX_DEBITS: a customer whose card
    spending was steady all year keeps that as typical, however many payments they made."""
    feed = Feed()
    (account,) = feed.customer("pat", START - days(370))
    feed.deposit(account, "90000.00", START - days(369))
    for d in range(360):
        feed.withdraw(account, "40.00" if d < 300 else "400.00", START - days(365) + days(d))
    verdict = feed.withdraw(account, "2500.00", START)
    (hit,) = [h for h in verdict.hits if h.rule_id == "outlier"]
    # 300 payments of 40.00 and 60 of 400.00: a geometric mean of 58.71, not the 400.00 that
    # the last 64 alone would give (where 2,500.00 is only 6.3x).
    assert "typical cash withdrawal 58.71, 4.3 standard deviations" in hit.explanation
    assert "(the geometric mean of 360 since 2023-01; the largest was 400.00)" in hit.explanation


def test_far_out_is_measured_against_the_customers_own_spread():
    """The same multiple of the typical payment is an outlier for a steady spender and not
    for one whose payments already range widely."""
    feed = Feed()
    (steady,) = feed.customer("steady", START - days(100))
    (wide,) = feed.customer("wide", START - days(100))
    for account in (steady, wide):
        feed.deposit(account, "50000.00", START - days(99))
    for d in range(90):
        feed.withdraw(steady, "40.00", START - days(95) + days(d))
        # 8.00 to 200.00: the same geometric mean (40.00), a spread of logs of about 1.6
        feed.withdraw(wide, "8.00" if d % 2 else "200.00", START - days(95) + days(d))
    (hit,) = [h for h in feed.withdraw(steady, "1000.00", START).hits if h.rule_id == "outlier"]
    assert "typical cash withdrawal 40.00, all of those alike (" in hit.explanation
    assert "outlier" not in {h.rule_id for h in feed.withdraw(wide, "1000.00", START).hits}


def test_structuring_cash_just_under_the_limit_on_consecutive_days():
    feed = Feed()
    (account,) = feed.customer("sue", START - days(30))
    assert feed.deposit(account, "9500.00", START).decision is APPROVE
    second = feed.deposit(account, "9700.00", START + days(1))
    assert second.decision is REVIEW
    (hit,) = second.hits
    assert hit.explanation == (
        "2 cash deposits just under 10,000.00 within 7 days add up to 19,200.00"
    )


def test_a_takeover_new_device_then_password_then_a_large_sum_to_a_stranger_is_held():
    feed = Feed()
    account = _spender(feed, "tom")
    (stranger,) = feed.customer("stranger")
    feed.security("tom", EventKind.LOGIN_SUCCEEDED, START, ip="10.0.0.1", device="ios-1")
    feed.security("tom", EventKind.LOGIN_SUCCEEDED, START + days(1), ip="45.9.9.9", device="web-x")
    feed.security("tom", EventKind.PASSWORD_CHANGED, START + days(1) + timedelta(minutes=10))
    verdict = feed.transfer(account, stranger, "9000.00", START + days(1) + timedelta(minutes=20))
    assert verdict.decision is REVIEW
    assert rules_fired(verdict) == {"after_security_event", "new_payee_large"}
    why = {h.rule_id: h.explanation for h in verdict.hits}
    assert why["after_security_event"] == "transfer of 9,000.00 10 minutes after: password changed"
    # The customer's own rent, the same hour, goes through: a security event alone holds nothing.
    rent = feed.transfer(
        account, "tom-landlord-acc0", "900.00", START + days(1) + timedelta(minutes=30)
    )
    assert rent.decision is APPROVE and "after_security_event" in rules_fired(rent)


def test_dormant_reactivation_and_round_amounts():
    feed = Feed()
    (account,) = feed.customer("ida", START - days(400))
    feed.deposit(account, "8000.00", START - days(400))
    first = feed.withdraw(account, "500.00", START)
    assert "dormant" in rules_fired(first)
    assert "money out after 400 days without activity" in first.hits[0].explanation
    assert first.decision is REVIEW
    feed.withdraw(account, "1000.00", START + timedelta(hours=2))
    third = feed.withdraw(account, "1500.00", START + timedelta(hours=5))
    assert "round_amounts" in rules_fired(third)
    assert third.decision is REVIEW


def test_rapid_in_out_from_several_new_senders_to_new_payees():
    feed = Feed()
    (mule,) = feed.customer("mule", START - days(60))
    senders = [feed.customer(f"s{i}", START - days(60))[0] for i in range(3)]
    (away,) = feed.customer("away", START - days(60))
    feed.deposit(mule, "50.00", START - days(50))
    for i, s in enumerate(senders):
        feed.deposit(s, "5000.00", START - days(50))
        feed.transfer(s, mule, "1500.00", START + timedelta(minutes=30 * i))
    verdict = feed.transfer(mule, away, "4200.00", START + timedelta(hours=3))
    assert {"rapid_in_out", "new_payee_large"} <= rules_fired(verdict)
    assert verdict.decision is REVIEW
    (hit,) = [h for h in verdict.hits if h.rule_id == "rapid_in_out"]
    assert hit.explanation == "4,200.00 out within 12 hours of 4,500.00 in from 3 new senders"


def _ruleset(**changes: tuple[int, Action]) -> RuleSet:
    base = rules.default_rule_set()
    return RuleSet(
        tuple(
            replace(r, score=changes[r.id][0], action=changes[r.id][1]) if r.id in changes else r
            for r in base.rules
        ),
        base.thresholds,
    )


def _big_deposit(ruleset: RuleSet) -> Verdict:
    c = Candidate(
        TransactionType.DEPOSIT, "u", "a", 1_200_000, "USD", "2024-01-01T10:00:00.000000Z"
    )
    return scoring.score(ruleset, Profile("u"), [], c)


@pytest.mark.parametrize(
    ("score", "action", "decision"),
    [
        (30, Action.SCORE, APPROVE),
        (50, Action.SCORE, REVIEW),
        (120, Action.SCORE, BLOCK),
        (0, Action.REVIEW, REVIEW),
        (0, Action.BLOCK, BLOCK),
        (120, Action.REVIEW, BLOCK),  # the stronger of the two
    ],
)
def test_the_decision_is_the_stronger_of_thresholds_and_actions(score, action, decision):
    verdict = _big_deposit(_ruleset(large_amount=(score, action)))
    assert verdict.decision is decision
    assert verdict.score == score
    assert verdict.hits[0].explanation == "deposit of 12,000.00 is at least 10,000.00"


def test_every_enabled_rule_version_and_the_thresholds_are_recorded():
    base = rules.default_rule_set()
    ruleset = RuleSet(
        (replace(base.rules[0], enabled=False), replace(base.rules[1], version=4), *base.rules[2:]),
        Thresholds(50, 100, version=9),
    )
    verdict = _big_deposit(ruleset)
    assert verdict.hits == ()  # the large-amount rule is off
    versions = dict(verdict.rule_versions)
    assert base.rules[0].id not in versions
    assert versions[base.rules[1].id] == 4 and versions["thresholds"] == 9
    assert len(versions) == len(base.rules)
    assert Verdict.from_json(verdict.to_json()) == verdict


def test_the_store_history_converts_to_recent_entries_newest_first():
    entries = [
        Entry(
            "t2",
            "a",
            TransactionType.TRANSFER,
            Money.of("-25.50"),
            Money.of("74.50"),
            "Bob · 1234",
            "",
            "2024-01-02T00:00:00.000000Z",
        ),
        Entry(
            "t1",
            "a",
            TransactionType.DEPOSIT,
            Money.of("100.00"),
            Money.of("100.00"),
            "",
            "",
            "2024-01-01T00:00:00.000000Z",
        ),
    ]
    recent = scoring.recent_from_entries(entries)
    assert [(r.amount, r.type, r.balance_after) for r in recent] == [
        (-2550, TransactionType.TRANSFER, 7450),
        (10000, TransactionType.DEPOSIT, 10000),
    ]
    assert recent[0].at - recent[1].at == 86_400
    assert scoring.RECENT_LIMIT >= 20 and scoring.RECENT_WINDOW_HOURS >= 72
