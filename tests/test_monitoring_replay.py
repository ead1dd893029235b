"""Replays score a feed as the live path would, touching no store; evaluate() counts true
positives and detected labels as docs/monitoring.md defines them; overlap() compares runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flaskbank.domain.accounts import CASH_ACCOUNT_ID
from flaskbank.domain.events import transaction_posted
from flaskbank.domain.labels import Label, Pattern
from flaskbank.domain.ledger import Leg, Posting, TransactionType, utc_iso
from flaskbank.domain.money import Money
from flaskbank.domain.monitoring import replay as replay_module
from flaskbank.domain.monitoring import rules
from flaskbank.domain.monitoring.model import RuleSet
from flaskbank.domain.monitoring.replay import Replayer, evaluate, overlap, replay
from monitoring_support import START, Feed, days


def _bank() -> tuple[Feed, list[Label]]:
    """Sue structures cash; Ida wakes from dormancy; Pat deposits a large sum once."""
    feed = Feed()
    (sue,) = feed.customer("sue", START - days(30))
    (ida,) = feed.customer("ida", START - days(400))
    (pat,) = feed.customer("pat", START - days(30))
    feed.deposit(ida, "3000.00", START - days(400))
    feed.deposit(sue, "9500.00", START)
    feed.deposit(sue, "9600.00", START + days(1))
    feed.deposit(sue, "9700.00", START + days(2))
    feed.withdraw(ida, "1234.56", START + days(3))
    feed.deposit(pat, "12000.00", START + days(3))
    txns = [str(e.payload["transaction_id"]) for e in feed.events if "transaction_id" in e.payload]
    labels = [
        Label(
            "l1",
            Pattern.STRUCTURING,
            "sue",
            tuple(txns[1:4]),
            utc_iso(START),
            utc_iso(START + days(2)),
        ),
        Label(
            "l2",
            Pattern.DORMANT_REACTIVATION,
            "ida",
            (txns[4],),
            utc_iso(START + days(3)),
            utc_iso(START + days(3)),
        ),
        Label(
            "l3",
            Pattern.LARGE_CASH,
            "pat",
            (txns[5],),
            utc_iso(START + days(3)),
            utc_iso(START + days(3)),
        ),
        Label("l4", Pattern.OUTLIER, "zed", ("elsewhere",), utc_iso(START), utc_iso(START)),
    ]
    return feed, labels


def test_a_replay_raises_the_alerts_the_live_path_would_have(monkeypatch):
    feed, _ = _bank()
    seen: list[int] = []
    monkeypatch.setattr(replay_module, "PROGRESS_EVERY", 4)
    result = replay(feed.events, rules.default_rule_set(), progress=seen.append)
    assert result.transactions == 6 and result.scored == 6 and result.events == len(feed.events)
    assert seen == list(range(4, len(feed.events) + 1, 4))
    flagged = [(a.user_id, a.rules) for a in result.alerts]
    assert flagged == [
        ("sue", ("structuring",)),
        ("sue", ("structuring",)),
        ("ida", ("dormant",)),
    ]


def test_evaluation_counts_true_positives_and_detected_labels():
    feed, labels = _bank()
    strict = rules.default_rule_set()
    lowered = RuleSet(
        tuple(replace(r, score=60) if r.id == "large_amount" else r for r in strict.rules),
        strict.thresholds,
    )
    result = replay(feed.events, lowered)
    figures = evaluate(result, labels)
    assert figures["total_alerts"] == 4
    assert figures["alerts_per_day"] == {
        utc_iso(START + days(1))[:10]: 1,
        utc_iso(START + days(2))[:10]: 1,
        utc_iso(START + days(3))[:10]: 2,
    }
    # Every alert is on a labelled transaction (large cash too: compliance wants to see it).
    assert figures["overall"]["precision"] == 1.0
    assert figures["overall"]["precision_fraud_only"] == 0.75
    # Recall counts fraud labels only: structuring and dormancy found, the outlier not.
    assert figures["overall"]["recall"] == round(2 / 3, 4)
    assert figures["per_pattern"]["structuring"] == {"labels": 1, "detected": 1, "recall": 1.0}
    assert figures["per_pattern"]["outlier"] == {"labels": 1, "detected": 0, "recall": 0.0}
    assert figures["per_pattern"]["large_cash"]["detected"] == 1
    assert figures["per_pattern"]["round_amounts"]["recall"] is None  # nothing to find
    assert figures["per_rule"]["structuring"] == {
        "alerts": 2,
        "precision": 1.0,
        "recall": round(1 / 3, 4),
    }
    assert figures["per_rule"]["large_amount"]["recall"] == 0.0


def test_an_alert_in_a_fraud_labels_window_counts_though_its_transaction_is_not_named():
    feed, labels = _bank()
    result = replay(feed.events, rules.default_rule_set())
    window = replace(
        labels[0],
        transaction_ids=(),
        end=utc_iso(
            START
            + days(
                2,
            )
        ),
    )
    figures = evaluate(result, [window])
    assert figures["per_pattern"]["structuring"]["detected"] == 1
    late = replace(window, start=utc_iso(START + days(2) + timedelta(hours=1)))
    assert evaluate(result, [late])["per_pattern"]["structuring"]["detected"] == 0


def test_overlap_of_two_rule_sets():
    feed, _ = _bank()
    live = rules.default_rule_set()
    draft = RuleSet(
        tuple(replace(r, enabled=False) if r.id == "dormant" else r for r in live.rules)
        + (replace(live.rules[0], id="cash_10k", score=60),),
        live.thresholds,
    )
    assert overlap(replay(feed.events, live), replay(feed.events, draft)) == {
        "both": 2,
        "only_a": 1,
        "only_b": 1,
    }


def test_the_banks_closing_payout_is_applied_but_never_scored():
    # Ida's account, dormant for 400 days, is closed at her request: the bank pays out.
    feed = Feed()
    (ida,) = feed.customer("ida", START - days(400))
    feed.deposit(ida, "3000.00", START - days(400))
    m = Money.of("3000.00")
    payout = Posting(
        "txn-payout",
        TransactionType.WITHDRAWAL,
        m,
        (Leg(ida, -m, "Cash withdrawal"), Leg(CASH_ACCOUNT_ID, m, "1")),
        "Closing balance of account 1, paid out by cheque",
        utc_iso(START),
        "staff-1",
        closes=ida,
    )
    live = rules.default_rule_set()
    asked = replace(payout, id="txn-asked", closes="")  # the same, had Ida asked for it
    assert [a.rules for a in replay([*feed.events, transaction_posted(asked)], live).alerts] == [
        ("dormant",)
    ]
    result = replay([*feed.events, transaction_posted(payout)], live)
    assert result.alerts == [] and (result.transactions, result.scored) == (2, 1)
    replayer = Replayer(live)
    for event in [*feed.events, transaction_posted(payout)]:
        replayer.step(event)
    assert replayer.balances[ida] == 0 and replayer.recent[ida][0].amount == -300_000
