"""Monitoring from outside, on both stores: a posting the rules send to review waits on a
hold (202), one they block is refused with a message that names no rule (422, type blocked)
and recorded; the feed's consumer opens the alert, which analysts work through the staff API
exactly once; rules are data analysts change, each change a new version, audited."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.events import EventKind
from flaskbank.domain.monitoring import scoring
from flaskbank.domain.security import AuditAction
from flaskbank.services.monitoring import backtests, consumer
from test_api_support import assert_problem, customer
from test_staff_support import audit_lines, staff_token, with_staff

STAFF = "/api/v1/staff"
BLOCKED = "https://flaskbank.example/problems/blocked"


@pytest.fixture
def app(app):
    return with_staff(app)


class Analyst:
    def __init__(self, client, bank, role: Role = Role.FRAUD_ANALYST) -> None:
        self.client = client
        self.user, token = staff_token(bank, role)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **query):
        return self.client.get(STAFF + path, query_string=query, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(STAFF + path, json=body or {}, headers=self.headers)

    def put(self, path, body):
        return self.client.put(STAFF + path, json=body, headers=self.headers)

    def patch(self, path, body):
        return self.client.patch(STAFF + path, json=body, headers=self.headers)


@pytest.fixture
def analyst(client, app_bank):
    return Analyst(client, app_bank)


def _rule_of_type(analyst, kind):
    rules = analyst.get("/rules").json["rules"]
    return next(r for r in rules if r["type"] == kind)


def amount_rule(analyst, *, threshold: str, action: str):
    """Make the amount-over-a-threshold rule fire from `threshold` with `action`."""
    rule = _rule_of_type(analyst, "amount_over")
    params = dict(rule["params"])
    params[next(k for k in params if "amount" in k or "threshold" in k)] = threshold
    response = analyst.put(
        f"/rules/{rule['id']}", {"params": params, "action": action, "enabled": True}
    )
    assert response.status_code == 200, response.json
    return response.json


def test_an_ordinary_transfer_is_approved_and_its_event_carries_the_verdict(client, app_bank):
    ada = customer(client, app_bank, deposit="500.00")
    bob = new_customer(app_bank, "Bob Stone")
    response = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "to_account_number": bob.account_number,
            "amount": "25.00",
        },
    )
    assert response.status_code == 201, response.json
    page = app_bank.store.events.read(after=None, limit=1000)
    posted = [e for e in page.events if e.kind is EventKind.TRANSACTION_POSTED]
    assert posted[-1].payload["screening"]["decision"] == "approve"
    assert posted[-1].payload["screening"]["rule_versions"], "the versions it was judged by"


def test_review_holds_the_transfer_and_opens_an_alert_the_analyst_releases(
    client, app_bank, analyst
):
    ada = customer(client, app_bank, deposit="1000.00")
    bob = new_customer(app_bank, "Bob Stone")
    amount_rule(analyst, threshold="300.00", action="review")
    response = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "to_account_number": bob.account_number,
            "amount": "400.00",
        },
    )
    assert response.status_code == 202, response.json
    assert response.json["status"] == "pending"
    hold_id = response.json["hold_id"]
    assert ada.balance() == "1000.00"
    consumer.catch_up(app_bank)
    queue = analyst.get("/alerts", status="open").json
    alert = next(a for a in queue["items"] if a["hold_id"] == hold_id)
    assert alert["decision"] == "review" and alert["customer_id"] == ada.user_id
    assert any("400.00" in r["explanation"] for r in alert["rules"]), alert["rules"]
    assert analyst.post(f"/holds/{hold_id}/release").status_code == 200
    assert ada.balance() == "600.00"
    assert_problem(analyst.post(f"/holds/{hold_id}/void"), 409)
    closed = analyst.patch(f"/alerts/{alert['id']}", {"status": "closed_false_positive"})
    assert closed.status_code == 200 and closed.json["status"] == "closed_false_positive"
    assert AuditAction.ALERT_UPDATED in {e.action for e in audit_lines(app_bank)}


def test_block_refuses_without_naming_a_rule_and_records_the_attempt(client, app_bank, analyst):
    ada = customer(client, app_bank, deposit="1000.00")
    amount_rule(analyst, threshold="300.00", action="block")
    withdrawals = f"/accounts/{ada.account_id}/withdrawals"
    response = ada.post(withdrawals, {"amount": "350.00"}, key="blocked-1")
    body = assert_problem(response, 422)
    assert body["type"] == BLOCKED
    assert "amount" not in body["detail"] and "rule" not in body["detail"]
    again = ada.post(withdrawals, {"amount": "350.00"}, key="blocked-1")
    assert_problem(again, 422)
    assert ada.balance() == "1000.00"
    kinds = [e.kind for e in app_bank.store.events.read(after=None, limit=1000).events]
    assert kinds.count(EventKind.POSTING_BLOCKED) == 1, "the retry replays the refusal"
    consumer.catch_up(app_bank)
    blocked = analyst.get("/alerts").json["items"]
    assert [a["decision"] for a in blocked] == ["block"]
    assert blocked[0]["severity"] == "critical"
    assert blocked[0]["transaction_id"] is None and blocked[0]["hold_id"] is None


def test_a_failing_scorer_sends_the_posting_to_review_never_approves(client, app_bank, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("scorer down")

    monkeypatch.setattr(scoring, "score", broken)
    ada = customer(client, app_bank, deposit="100.00")
    bob = new_customer(app_bank, "Bob Stone")
    response = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "to_account_number": bob.account_number,
            "amount": "5.00",
        },
    )
    assert response.status_code == 202, response.json
    consumer.catch_up(app_bank)
    alerts = app_bank.store.monitoring.alerts(limit=10).items
    (alert,) = [a for a in alerts if a.hold_id == response.json["hold_id"]]
    assert alert.verdict.failed and alert.decision.value == "review"


def test_two_analysts_closing_one_alert_at_once_one_wins(client, app_bank, analyst):
    ada = customer(client, app_bank, deposit="1000.00")
    bob = new_customer(app_bank, "Bob Stone")
    amount_rule(analyst, threshold="300.00", action="review")
    ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "to_account_number": bob.account_number,
            "amount": "400.00",
        },
    )
    consumer.catch_up(app_bank)
    (alert,) = analyst.get("/alerts").json["items"]
    other = Analyst(client, app_bank)
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def close(who, status):
        barrier.wait()
        body = {"status": status, "version": alert["version"]}
        answers.append(who.patch(f"/alerts/{alert['id']}", body).status_code)

    threads = [
        threading.Thread(target=close, args=(analyst, "closed_false_positive")),
        threading.Thread(target=close, args=(other, "closed_confirmed_fraud")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
    again = analyst.patch(f"/alerts/{alert['id']}", {"status": "investigating"})
    assert_problem(again, 409)


def test_rules_are_versioned_data_with_history_and_audit(client, app_bank, analyst):
    listed = analyst.get("/rules").json
    types = {r["type"] for r in listed["rules"]}
    assert len(types) >= 10
    rule = listed["rules"][0]
    changed = analyst.put(f"/rules/{rule['id']}", {"score": 7})
    assert changed.status_code == 200 and changed.json["version"] == rule["version"] + 1
    assert changed.json["score"] == 7
    history = analyst.get(f"/rules/{rule['id']}/history").json["items"]
    assert history[0]["version"] == rule["version"] + 1
    assert AuditAction.RULE_CHANGED in {e.action for e in audit_lines(app_bank)}
    bad = analyst.put(f"/rules/{rule['id']}", {"score": -1})
    assert_problem(bad, 422, "score")
    bad = analyst.put(f"/rules/{rule['id']}", {"params": {"nonsense": 1.5}})
    assert bad.status_code == 422
    assert analyst.get("/rules").json["rules"][0]["version"] == rule["version"] + 1
    assert_problem(analyst.put("/rules/no-such-rule", {"score": 1}), 404)


def test_staff_without_the_permission_are_refused(client, app_bank):
    manager = Analyst(client, app_bank, Role.FINANCIAL_MANAGER)
    assert manager.get("/alerts").status_code == 403
    assert manager.get("/rules").status_code == 403
    ada = customer(client, app_bank)
    response = client.get(STAFF + "/alerts", headers=ada.headers())
    assert response.status_code == 404


def test_a_backtest_runs_a_draft_without_touching_anything(client, app_bank, analyst):
    ada = customer(client, app_bank, deposit="1000.00")
    bob = new_customer(app_bank, "Bob Stone")
    for amount in ("400.00", "20.00", "350.00"):
        ada.post(
            "/transfers",
            {
                "from_account_id": ada.account_id,
                "to_account_number": bob.account_number,
                "amount": amount,
            },
        )
    before = app_bank.store.events.read(after=None, limit=1000).events
    draft = analyst.get("/rules").json["rules"]
    for r in draft:
        r["enabled"] = r["type"] == "amount_over"
        if r["type"] == "amount_over":
            key = next(k for k in r["params"] if "amount" in k or "threshold" in k)
            r["params"][key] = "300.00"
            r["params"]["types"] = ["transfer"]
            r["action"] = "review"
    today = app_bank.now()[:10]
    started = analyst.post(
        "/backtests", {"rules": draft, "since": today, "until": _next_day(today)}
    )
    assert started.status_code == 202, started.json
    runner = backtests.BacktestConsumer(app_bank)
    from flaskbank.services.consumers import run_once

    run_once(app_bank.store, runner)
    for thread in runner.started:
        thread.join(30)
    result = analyst.get(f"/backtests/{started.json['id']}").json
    assert result["status"] == "done", result
    assert result["total_alerts"] == 2
    assert sum(result["alerts_per_day"].values()) == 2
    assert "amount_over" in {k.split(":")[0] for k in result["per_rule"]} or result["per_rule"]
    after = [e for e in app_bank.store.events.read(after=None, limit=1000).events]
    assert [e.id for e in after if e.kind is EventKind.TRANSACTION_POSTED] == [
        e.id for e in before if e.kind is EventKind.TRANSACTION_POSTED
    ]
    assert_problem(
        analyst.post("/backtests", {"since": "2026-02-01", "until": "2026-01-01"}), 422, "until"
    )


def _next_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def test_the_live_board_shows_a_posting_once_the_consumer_ran(client, app_bank, analyst):
    ada = customer(client, app_bank, deposit="100.00")
    consumer.catch_up(app_bank)
    board = analyst.get("/monitoring/live").json
    assert board["latest"][0]["type"] == "deposit"
    assert board["latest"][0]["decision"] == "approve"
    assert sum(m["postings"] for m in board["minutes"]) >= 1
    assert ada.user_id  # the customer made the posting the board shows


def test_a_backtest_behind_a_long_feed_starts_at_the_jobs_next_run(client, app_bank, analyst):
    """On a bank loaded in bulk the feed is long before the first request: the job reads
    through it in one run instead of a hundred events at a time."""
    from flaskbank.domain.events import Event

    for n in range(250):
        app_bank.store.events.append(
            Event(f"filler-{n}", EventKind.STAFF_ACTION, "cli", "cli", app_bank.now(), {})
        )
    today = app_bank.now()[:10]
    started = analyst.post("/backtests", {"since": today, "until": _next_day(today)})
    assert started.status_code == 202, started.json
    assert backtests.start_queued(app_bank, limit=100) == 1
    for _ in range(200):  # it runs in a thread of its own; let it finish before teardown
        status = analyst.get(f"/backtests/{started.json['id']}").json["status"]
        if status != "running":
            break
        time.sleep(0.05)
    assert status == "done"
