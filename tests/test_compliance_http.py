"""The compliance area over HTTP, on both stores: the page and its API twin give the same
findings with exact figures (amounts as strings in JSON), each cash finding links to the
entries behind it and their totals equal it, corrective actions are recorded from the page
and the API and shown beside their finding, compliance officers land here, and bad input
is a clear error that names its field and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from compliance_support import cash_bank
from flaskbank.domain.accounts import Role
from flaskbank.domain.security import AuditAction
from flaskbank.web.api.openapi import DOCUMENT
from test_staff_support import IP, customer_signed_in, staff_client, staff_token, with_staff
from test_web_support import Page

API = "/api/v1/staff/compliance"
PAGE = "/staff/compliance"


@pytest.fixture
def app(app):
    return with_staff(app)


def _get(client, token, path, **query):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    return client.get(path, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": IP})


def _post(client, token, path, body):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(path, json=body, headers=headers, environ_base={"REMOTE_ADDR": IP})


def _follow(client, token, href):  # type: ignore[no-untyped-def]
    parts = urlsplit(href)
    return _get(client, token, parts.path, **{k: v[0] for k, v in parse_qs(parts.query).items()})


def _schema(name):  # type: ignore[no-untyped-def]
    return set(DOCUMENT["components"]["schemas"][name]["properties"])


def test_the_api_gives_each_finding_with_exact_figures_and_its_entries(app, app_bank, client):
    cash = cash_bank(app, app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    body = _get(client, token, API).get_json()
    assert set(body) == _schema("ComplianceReview")
    assert body["rules"] == {
        "cash_report_over": "10000.00",
        "structuring_from": "9000.00",
        "structuring_window_days": 3,
    }
    large = {f["name"]: f for f in body["large_cash"]}
    assert set(large) == {"Ada Tester", "Eve Tester"}  # Bob's exactly 10,000.00 is not over
    ada = large["Ada Tester"]
    assert set(ada) == _schema("LargeCash")
    assert (ada["day"], ada["transactions"], ada["total"]) == (str(cash.day), 2, "10000.01")
    assert large["Eve Tester"]["total"] == "18999.98"
    [totals] = _follow(client, token, ada["entries"]).get_json()["totals"]
    assert (totals["credits"], totals["debits"]) == ("6000.00", "4000.01")
    assert Decimal(totals["credits"]) + Decimal(totals["debits"]) == Decimal(ada["total"])
    [split] = body["structuring"]
    assert set(split) == _schema("Structuring")
    assert (split["name"], split["deposits"], split["total"]) == ("Cy Tester", 2, "18500.00")
    listed = _follow(client, token, split["entries"]).get_json()
    assert [e["amount"] for e in listed["entries"]] == ["9000.00", "9500.00"]
    assert body["kyc_gaps"]["count"] == 5  # none of the five gave personal details
    assert set(body["kyc_gaps"]["items"][0]) == _schema("KycGap")


def test_an_action_recorded_through_the_api_is_shown_and_audited_in_words(app, app_bank, client):
    cash = cash_bank(app, app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    [split] = _get(client, token, API).get_json()["structuring"]
    made = _post(
        client, token, f"{API}/actions", {"finding": split["finding"], "text": "SAR filed"}
    )
    assert made.status_code == 201 and set(made.get_json()) == _schema("CorrectiveAction")
    [again] = _get(client, token, API).get_json()["structuring"]
    assert [a["text"] for a in again["actions"]] == ["SAR filed"]
    _, admin = staff_client(app, app_bank, Role.ADMIN)
    audit = Page(admin.get("/staff/audit", query_string={"action": "corrective_action_recorded"}))
    [row] = audit.rows()
    assert row["What"] == "Recorded a corrective action" and row["About"] == "Cy Tester"
    assert "Action taken SAR filed" in row["Details"] and split["finding"] in row["Details"]
    assert cash.cy.user_id == again["customer_id"]


def test_the_page_lists_findings_drills_down_and_records_an_action(app, app_bank):
    cash = cash_bank(app, app_bank)
    _, client = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    page = Page(client.get(PAGE))
    assert page.status == 200 and "cash on one day over 10,000.00 in one currency" in page.text
    rows = [r for r in page.rows() if "Day" in r]
    assert [(r["Customer"], r["Day"], r["Total"]) for r in rows] == [  # the larger first
        ("Eve Tester", str(cash.day), "18,999.98 USD"),
        ("Ada Tester", str(cash.day), "10,000.01 USD"),
    ]
    drill = next(e for e in page.find("a") if "cash transactions of Ada Tester" in e.text)
    entries = Page(client.get(drill.attrs["href"]))
    assert entries.status == 200 and "6000.00 USD" in entries.text and "-4000.01" in entries.text
    finding = f"large_cash:{cash.ada.user_id}:{cash.day}:USD"
    done = client.post(
        f"{PAGE}/actions",
        data={"finding": finding, "text": "CTR filed", "from": str(cash.day), "to": str(cash.day)},
    )
    assert done.status_code == 302 and done.location == f"{PAGE}?from={cash.day}&to={cash.day}"
    after = Page(client.get(done.location))
    assert "Corrective action recorded." in after.flashes
    [ada] = [r for r in after.rows() if r.get("Customer") == "Ada Tester" and "Day" in r]
    assert "CTR filed" in ada["Corrective actions"]


def test_an_empty_action_is_refused_with_a_message_and_nothing_is_recorded(app, app_bank):
    cash = cash_bank(app, app_bank)
    _, client = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    finding = f"kyc_gap:{cash.bob.user_id}"
    done = client.post(f"{PAGE}/actions", data={"finding": finding, "text": "  "})
    flashes = Page(client.get(done.location)).flashes
    assert any("not recorded" in f and "say what was done" in f for f in flashes)
    assert app_bank.store.corrective_actions.actions_on([finding]) == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-1-31"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "to"),
        ({"from": "2024-01-01", "to": "2026-01-31"}, "from"),
    ],
)
def test_bad_dates_are_a_problem_naming_the_field_and_a_page_error(
    app, app_bank, client, query, field
):
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    response = _get(client, token, API, **query)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    _, browser = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    page = Page(browser.get(PAGE, query_string=query))
    assert page.status == 422 and page.error(field)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"finding": "kyc_gap:nobody-here", "text": "called"}, 404, None),
        ({"finding": "kyc_gap", "text": "called"}, 422, "finding"),
        ({"finding": "kyc_gap:x", "text": ""}, 422, "text"),
        ({"finding": "kyc_gap:x", "text": 5}, 422, "text"),
    ],
)
def test_bad_actions_through_the_api_change_nothing(app, app_bank, client, body, status, field):
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    response = _post(client, token, f"{API}/actions", body)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in response.get_json()["errors"]
    lines = app_bank.store.audit.audit_log(limit=5, action=AuditAction.CORRECTIVE_ACTION_RECORDED)
    assert lines.items == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.COMPLIANCE_OFFICER, 200),
        (Role.ADMIN, 200),
        (Role.FRAUD_ANALYST, 403),
        (Role.FINANCIAL_MANAGER, 403),
    ],
)
def test_who_may_use_the_api(app, app_bank, client, role, status):
    _, token = staff_token(app_bank, role)
    assert _get(client, token, API).status_code == status
    assert client.get(API).status_code == 401


def test_a_customers_token_gets_404_for_the_review_and_for_actions(app, app_bank, client):
    who, _ = customer_signed_in(app, app_bank, "Nosy Customer")
    token = client.post(
        "/api/v1/tokens", json={"email": who.email, "password": who.password}
    ).get_json()["token"]
    assert _get(client, token, API).status_code == 404
    made = _post(
        client, token, f"{API}/actions", {"finding": f"kyc_gap:{who.user_id}", "text": "x"}
    )
    assert made.status_code == 404
    assert app_bank.store.corrective_actions.actions_on([f"kyc_gap:{who.user_id}"]) == {}


def test_compliance_officers_land_on_compliance_and_their_menu_links_it(app, app_bank):
    _, officer = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    assert officer.get("/").location == PAGE
    assert Page(officer.get("/staff")).link("Compliance") == PAGE
    _, analyst = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    assert Page(analyst.get("/staff")).link("Compliance") is None
    _, admin = staff_client(app, app_bank, Role.ADMIN)
    assert Page(admin.get("/staff")).link("Compliance") == PAGE
    assert admin.get("/").location == "/staff"


def test_frozen_accounts_show_the_internal_reason_to_staff_and_take_actions(app, app_bank, client):
    from conftest import new_customer
    from flaskbank.services import staff
    from test_staff_support import CLI, make_staff

    ada = new_customer(app_bank, "Ada Frozen")
    analyst = make_staff(app_bank, Role.FRAUD_ANALYST)
    staff.set_frozen(
        app_bank, analyst, ada.account_id, frozen=True, reason="mule pattern", actor=CLI
    )
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    [frozen] = _get(client, token, API).get_json()["frozen_accounts"]
    assert set(frozen) == _schema("FrozenAccount")
    assert (frozen["account_id"], frozen["reason"]) == (ada.account_id, "mule pattern")
    body = {"finding": frozen["finding"], "text": "Customer contacted"}
    assert _post(client, token, f"{API}/actions", body).status_code == 201
    _, browser = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    [row] = [r for r in Page(browser.get(PAGE)).rows() if "Internal reason" in r]
    assert row["Customer"] == "Ada Frozen" and row["Internal reason"] == "mule pattern"
    assert "Customer contacted" in row["Corrective actions"]
