"""The fraud analysts' workspace through HTTP: the live view and its JSON, the alert queue,
one alert and its actions (each audited, each on the version the analyst read), the rules
and a backtest. Who may open what is in test_staff_access.py; markup in test_staff_pages.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_wtf.csrf import generate_csrf

from conftest import balance, new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.holds import HoldStatus
from flaskbank.domain.monitoring.model import AlertStatus
from flaskbank.services import postings
from flaskbank.services.monitoring import backtests, consumer
from flaskbank.services.staff import FREEZE_MESSAGES
from flaskbank.web.filters import when
from test_monitoring_support import held_alert
from test_staff_support import audit_lines, customer_signed_in, staff_client, with_staff
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def case(app, app_bank):
    """A held transfer's alert and a fraud analyst signed in to work it."""
    alert, sender = held_alert(app_bank)
    analyst, client = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    return alert, sender, analyst, client


def _alert_path(alert_id: str, action: str = "") -> str:
    return f"/staff/monitoring/alerts/{alert_id}" + (f"/{action}" if action else "")


def test_an_analyst_finds_the_alert_in_the_queue_and_reads_why(case):
    alert, sender, _, client = case
    queue = Page(client.get("/staff/monitoring/alerts"))
    assert queue.status == 200
    [row] = queue.rows()
    assert row["Severity"] == "high" and row["Status"] == "Open" and row["Assignee"] == "nobody"
    assert row["Score"] == "30" and row["Amount"] == "60.00 USD"
    assert row["Rules"] == "large_amount" and row["Age"] == "just now"
    assert queue.link(f"Open the alert raised {when(alert.created_at)}") == _alert_path(alert.id)

    page = Page(client.get(_alert_path(alert.id)))
    assert page.status == 200
    assert "transfer of 60.00 is at least 50.00" in page.text  # the rule's own explanation
    assert "Sam Sender" in page.text and sender.email in page.text
    assert "Transfer held for review" in page.text and "60.00 USD waits for review" in page.text
    history = [r for r in page.rows() if "Balance after" in r]
    assert [r["Type"] for r in history] == ["Deposit"]  # the held transfer has not posted


def test_the_queue_shows_each_alerts_age_by_the_banks_clock(app_bank, case):
    _, _, _, client = case
    real = app_bank.clock
    # (Within the session's idle time, or the client would be signed out.)
    for later, shown in [(timedelta(seconds=30), "just now"), (timedelta(minutes=5), "5 min ago")]:
        app_bank.clock = lambda later=later: real() + later
        [row] = Page(client.get("/staff/monitoring/alerts")).rows()
        assert row["Age"] == shown
    app_bank.clock = real


def test_closing_an_alert_is_audited_and_a_second_close_on_the_old_version_is_refused(
    case, app_bank
):
    alert, _, analyst, client = case
    closed = client.post(
        _alert_path(alert.id, "status"), data={"status": "closed_false_positive", "version": "1"}
    )
    assert closed.status_code == 302
    assert Page(client.get(closed.location)).flashes == [
        "The alert is now: Closed: false positive."
    ]
    again = client.post(
        _alert_path(alert.id, "status"), data={"status": "closed_confirmed_fraud", "version": "1"}
    )
    assert again.status_code == 409
    assert "Someone changed this alert since you opened it" in Page(again).flashes[0]
    found = app_bank.store.monitoring.get_alert(alert.id)
    assert found.status is AlertStatus.FALSE_POSITIVE and found.closed_by == analyst.email
    [line] = [e for e in audit_lines(app_bank) if e.action.value == "alert_updated"]
    assert line.target == alert.id and line.actor_email == analyst.email
    assert line.details["status"] == "closed_false_positive"


def test_two_analysts_at_once_the_second_is_told_instead_of_overwriting(app, app_bank, case):
    alert, _, _, first = case
    _, second = staff_client(app, app_bank, Role.ADMIN)
    Page(second.get(_alert_path(alert.id)))  # both read version 1
    assigned = first.post(
        _alert_path(alert.id, "assign"), data={"assignee": "Amy@Bank.example", "version": "1"}
    )
    assert assigned.status_code == 302
    late = second.post(_alert_path(alert.id, "note"), data={"note": "mine", "version": "1"})
    assert late.status_code == 409
    found = app_bank.store.monitoring.get_alert(alert.id)
    assert found.assignee == "amy@bank.example" and found.notes == ()


def test_releasing_the_held_transfer_sends_it_once(app, app_bank, case):
    alert, _, _, client = case
    recipient_account = app_bank.store.holds.get(alert.account_id, alert.hold_id).posting
    target = next(leg.account_id for leg in recipient_account.legs if leg.amount.is_positive())
    released = client.post(_alert_path(alert.id, "release"), data={"version": "1"})
    assert released.status_code == 302
    assert str(balance(app_bank, target)) == "60.00"
    page = Page(client.get(released.location))
    assert page.flashes == ["Released the held transfer (60.00 USD): it was sent."]
    assert "released the held transfer" in page.text  # noted on the alert
    assert not page.find("form", action=_alert_path(alert.id, "reject"))

    version = str(app_bank.store.monitoring.get_alert(alert.id).version)
    late = client.post(_alert_path(alert.id, "reject"), data={"version": version})
    assert late.status_code == 409
    assert "decided on the held transfer first" in Page(late).flashes[0]
    hold = app_bank.store.holds.get(alert.account_id, alert.hold_id)
    assert hold.status is HoldStatus.RELEASED and str(balance(app_bank, target)) == "60.00"
    actions = [e.action.value for e in audit_lines(app_bank)]
    assert actions.count("hold_released") == 1 and "hold_voided" not in actions


def test_rejecting_and_freezing_from_the_alert(app_bank, case):
    alert, sender, _, client = case
    rejected = client.post(_alert_path(alert.id, "reject"), data={"version": "1"})
    assert rejected.status_code == 302
    assert str(balance(app_bank, sender.account_id)) == "500.00"
    version = str(app_bank.store.monitoring.get_alert(alert.id).version)
    frozen = client.post(
        _alert_path(alert.id, "freeze"), data={"reason": "card stolen", "version": version}
    )
    assert frozen.status_code == 302
    account = app_bank.store.ledger.get_account(sender.account_id)
    # The alert's freeze tells the customer the bank reviews the account, not the reason.
    assert account.status is AccountStatus.FROZEN
    assert account.status_reason == FREEZE_MESSAGES["review"]
    actions = [e.action.value for e in audit_lines(app_bank)]
    assert "hold_voided" in actions and "account_frozen" in actions


def test_a_refused_action_shows_the_message_on_the_form(app_bank, case):
    alert, _, _, client = case
    response = client.post(_alert_path(alert.id, "note"), data={"note": "  ", "version": "1"})
    assert response.status_code == 422
    assert Page(response).error("note") == "1 to 2000 characters"
    assert app_bank.store.monitoring.get_alert(alert.id).version == 1


def test_the_queue_filters_and_sorts_by_assignee_and_status(app, app_bank, case):
    first, sender, analyst, client = case
    recipient = new_customer(app_bank, "Rhea Other")
    postings.transfer(
        app_bank,
        sender.user_id,
        sender.account_id,
        amount="70.00",
        to_account_number=recipient.account_number,
    )
    consumer.catch_up(app_bank)
    client.post(_alert_path(first.id, "assign"), data={"assignee": analyst.email, "version": "1"})

    def amounts(query: str) -> list[str]:
        page = Page(client.get("/staff/monitoring/alerts" + query))
        assert page.status == 200, page.html
        return [r["Amount"] for r in page.rows()]

    assert amounts("") == ["70.00 USD", "60.00 USD"]  # newest first
    assert amounts("?sort=oldest") == ["60.00 USD", "70.00 USD"]
    assert amounts("?sort=assignee") == ["60.00 USD", "70.00 USD"]  # the assigned first
    assert amounts(f"?assignee={analyst.email}") == ["60.00 USD"]
    assert amounts("?assignee=none") == ["70.00 USD"]
    assert amounts(f"?customer={sender.user_id}&rule=large_amount") == ["70.00 USD", "60.00 USD"]
    assert amounts("?severity=critical") == []
    client.post(
        _alert_path(first.id, "status"), data={"status": "closed_confirmed_fraud", "version": "2"}
    )
    assert amounts("?status=open") == ["70.00 USD"]
    assert amounts("?status=closed_confirmed_fraud") == ["60.00 USD"]
    refused = Page(client.get("/staff/monitoring/alerts?severity=nope"))
    assert refused.status == 422 and refused.error("severity").startswith("one of low")


def test_the_live_view_shows_the_screened_postings_without_script(case):
    alert, _, _, client = case
    page = Page(client.get("/staff/monitoring"))
    assert page.status == 200
    assert page.find("script", src="/static/monitoring.js")
    rows = page.rows()
    assert rows[0]["What"] == "Held for review" and rows[0]["Decision"] == "review"
    assert page.link("alert") == _alert_path(alert.id)
    assert "large_amount 1" in " ".join(page.text_of("top-rules"))

    snapshot = client.get("/staff/monitoring/live.json")
    assert snapshot.status_code == 200 and snapshot.headers["Cache-Control"] == "no-store"
    latest = snapshot.get_json()["latest"]
    assert latest[0]["amount"] == "60.00" and latest[0]["alert_url"] == _alert_path(alert.id)
    assert snapshot.get_json()["minutes"][-1]["alerts"] == 1


def test_editing_a_rule_makes_a_new_version_with_its_history(app_bank, case):
    _, _, analyst, client = case
    form = Page(client.get("/staff/monitoring/rules/large_amount"))
    assert form.value("p_amount") == "50.00"
    assert form.value("score") == "30"
    bad = client.post(
        "/staff/monitoring/rules/large_amount",
        data={"p_amount": "lots", "p_types": ["transfer"], "score": "30", "action": "score"},
    )
    assert bad.status_code == 422 and "must be a number" in Page(bad).error("p_amount")
    saved = client.post(
        "/staff/monitoring/rules/large_amount",
        data={
            "p_amount": "75.00",
            "p_types": ["transfer", "withdrawal"],
            "score": "35",
            "action": "review",
            "enabled": "y",
        },
    )
    assert saved.status_code == 302
    rules = Page(client.get(saved.location))
    assert rules.flashes == ["Saved large_amount: now version 3."]
    [row] = [r for r in rules.rows() if r.get("Rule") == "large_amount"]
    assert row["Parameters"] == "amount: 75.00; types: withdrawal, transfer"
    assert row["Action"] == "review" and row["Version"] == "3"
    assert row["Updated"].endswith(analyst.email)
    history = Page(client.get("/staff/monitoring/rules/large_amount/history"))
    assert [r["Version"] for r in history.rows()] == ["3", "2"]
    assert "rule_changed" in [e.action.value for e in audit_lines(app_bank)]


def test_thresholds_are_saved_or_refused_on_the_form(case):
    _, _, _, client = case
    refused = client.post(
        "/staff/monitoring/thresholds", data={"review_at": "80", "block_at": "40"}
    )
    assert refused.status_code == 422
    assert Page(refused).error("block_at") == "must be at least review_at, and both above 0"
    saved = client.post("/staff/monitoring/thresholds", data={"review_at": "40", "block_at": "90"})
    assert saved.status_code == 302
    assert Page(client.get(saved.location)).value("review_at") == "40"


def test_a_backtest_runs_from_the_form_and_shows_its_figures(app_bank, case):
    _, _, _, client = case
    form = Page(client.get("/staff/monitoring/backtests"))
    assert '"id": "large_amount"' in form.by_id("rules").text  # the live rules, to edit
    bad = client.post(
        "/staff/monitoring/backtests", data={"since": "2026-01-01", "until": "x", "rules": "["}
    )
    assert bad.status_code == 422 and "not valid JSON" in Page(bad).error("rules")
    today = app_bank.clock().date()
    period = {"since": str(today - timedelta(days=30)), "until": str(today + timedelta(days=1))}
    started = client.post(
        "/staff/monitoring/backtests", data={**period, "rules": form.by_id("rules").text}
    )
    assert started.status_code == 302
    page = Page(client.get(started.location))
    assert page.by_id("backtest-status").text == "queued"
    status = client.get(started.location + "/status.json").get_json()
    assert status["status"] == "queued"

    # A draft whose one rule catches the sender's 500.00 cash deposit.
    draft = '[{"id": "big_cash", "type": "amount_over", "score": 60,'
    draft += ' "params": {"amount": "100.00", "types": ["deposit"]}}]'
    started = client.post("/staff/monitoring/backtests", data={**period, "rules": draft})
    backtest_id = started.location.rsplit("/", 1)[1]
    backtests.run(app_bank, app_bank.store.monitoring.get_backtest(backtest_id))
    done = Page(client.get(started.location))
    assert done.by_id("backtest-status").text == "done"
    assert not done.find("span", id="backtest-state")  # nothing left to follow
    rows = done.rows()
    assert {"Rule": "big_cash", "Alerts": "1", "Precision": "0.0%", "Recall": "–"} in rows
    assert {"Day": str(today), "Alerts": "1", "Bar": ""} in rows
    facts = _facts(done)
    assert facts["Alerts"] == "1" and facts["Precision"] == "0.0%" and facts["Recall"] == "–"
    assert facts["Only by the draft"] == "1" and facts["Also raised by the live rules"] == "0"
    started_lines = [e for e in audit_lines(app_bank) if e.action.value == "backtest_started"]
    assert {e.target for e in started_lines} == {status["id"], backtest_id}


def _facts(page: Page) -> dict[str, str]:
    """A page's description lists: {term: its description}."""
    terms = [e for e in page.elements if e.tag in ("dt", "dd")]
    return {
        " ".join(dt.text.split()): " ".join(dd.text.split())
        for dt, dd in zip(terms[::2], terms[1::2], strict=True)
    }


@pytest.mark.parametrize("role", [Role.FINANCIAL_MANAGER, Role.COMPLIANCE_OFFICER])
def test_staff_without_monitoring_get_403_and_customers_404(app, app_bank, case, role):
    alert, _, _, _ = case
    _, other = staff_client(app, app_bank, role)
    _, customer = customer_signed_in(app, app_bank, "Eve Customer")
    for path in ("/staff/monitoring", _alert_path(alert.id), "/staff/monitoring/live.json"):
        assert other.get(path).status_code == 403
        assert customer.get(path).status_code == 404
    denied = other.post(_alert_path(alert.id, "status"), data={"status": "closed_false_positive"})
    assert denied.status_code == 403
    assert app_bank.store.monitoring.get_alert(alert.id).status is AlertStatus.OPEN
    home = Page(other.get("/staff"))
    assert home.link("Live monitoring") is None and home.link("Alerts") is None


def test_the_staff_home_links_the_workspace_for_analysts(case):
    _, _, _, client = case
    home = Page(client.get("/staff"))
    assert home.link("Live monitoring") == "/staff/monitoring"
    assert home.link("transaction monitoring") == "/staff/monitoring"
    assert home.link("Alerts") == "/staff/monitoring/alerts"


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.mark.parametrize(
    "action, data",
    [
        ("status", {"status": "closed_false_positive"}),
        ("assign", {"assignee": "x@bank.example"}),
        ("note", {"note": "forged"}),
        ("freeze", {"reason": "forged"}),
        ("release", {}),
        ("reject", {}),
    ],
)
def test_an_alert_action_without_a_valid_csrf_token_changes_nothing(
    csrf_app, app_bank, action, data
):
    alert, sender = held_alert(app_bank)
    _, client = staff_client(csrf_app, app_bank, Role.FRAUD_ANALYST)
    before = len(audit_lines(app_bank, 500))
    with csrf_app.test_request_context():
        stale = generate_csrf()  # made for another session
    for token in (None, stale):
        body = dict(data, version="1", **({"csrf_token": token} if token else {}))
        assert client.post(_alert_path(alert.id, action), data=body).status_code == 400
    assert app_bank.store.monitoring.get_alert(alert.id).version == 1
    assert app_bank.store.ledger.get_account(sender.account_id).is_open
    assert app_bank.store.holds.get(alert.account_id, alert.hold_id).status is HoldStatus.OPEN
    assert len(audit_lines(app_bank, 500)) == before


def test_the_rule_thresholds_and_backtest_forms_need_a_csrf_token(csrf_app, app_bank):
    _, client = staff_client(csrf_app, app_bank, Role.FRAUD_ANALYST)
    before = len(audit_lines(app_bank, 500))
    rule = client.post("/staff/monitoring/rules/large_amount", data={"p_amount": "1.00"})
    limits = client.post("/staff/monitoring/thresholds", data={"review_at": "1", "block_at": "2"})
    run = client.post(
        "/staff/monitoring/backtests", data={"since": "2026-01-01", "until": "2026-01-02"}
    )
    assert rule.status_code == limits.status_code == run.status_code == 400
    assert app_bank.store.monitoring.rule_history("large_amount") == []
    assert len(audit_lines(app_bank, 500)) == before
