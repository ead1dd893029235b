"""The staff JSON API under /api/v1/staff: bearer tokens only, the same role policy as the
pages (customers 404, other staff 403), problem+json errors, every action audited."""

from __future__ import annotations

import copy
import re

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.services import tokens
from flaskbank.services.analytics.reports import SPECS
from flaskbank.services.staff import FREEZE_MESSAGES
from flaskbank.web.api.openapi import DOCUMENT
from flaskbank.web.staff import (
    approvals_openapi,
    compliance_openapi,
    monitoring_openapi,
    openapi,
    reports_openapi,
)
from test_staff_support import (
    IP,
    audit_lines,
    staff_token,
    with_staff,
)

API = "/api/v1/staff"


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def ada(app_bank):
    return new_customer(app_bank, "Ada Lovelace", deposit="30.00")


class Caller:
    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **query):
        return self.client.get(
            API + path, query_string=query, headers=self.headers, environ_base={"REMOTE_ADDR": IP}
        )

    def post(self, path: str, body=None, **kwargs):
        return self.client.post(
            API + path, json=body, headers=self.headers, environ_base={"REMOTE_ADDR": IP}, **kwargs
        )


def caller(client, bank, role: Role) -> tuple:
    user, token = staff_token(bank, role)
    return user, Caller(client, token)


def requests(ada):
    return [
        ("GET", "/customers?q=ada", None),
        ("GET", f"/customers/{ada.user_id}", None),
        ("POST", f"/accounts/{ada.account_id}/freeze", {"reason": "x"}),
        ("POST", f"/accounts/{ada.account_id}/unfreeze", {"reason": "x"}),
        ("GET", "/audit", None),
    ]


def send(c: Caller, method, path, body):
    if method == "GET":
        path, _, query = path.partition("?")
        return c.get(path, **dict(p.split("=") for p in query.split("&") if p))
    return c.post(path, body)


def test_without_a_token_every_route_is_a_401(client, ada):
    anonymous = Caller(client, None)
    for method, path, body in requests(ada):
        response = send(anonymous, method, path, body)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"


def test_a_customers_token_gets_what_an_unknown_path_gets(client, app_bank, ada):
    token, _ = tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    customer = Caller(client, token)
    unknown = client.get("/api/v1/nothing-here")
    for method, path, body in requests(ada):
        response = send(customer, method, path, body)
        assert response.status_code == 404, path
        assert response.json == unknown.json
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN


@pytest.mark.parametrize(
    "role, refused",
    [
        (Role.FINANCIAL_MANAGER, {"freeze", "unfreeze", "audit"}),
        (Role.FRAUD_ANALYST, {"audit"}),
        (Role.COMPLIANCE_OFFICER, {"freeze", "unfreeze"}),
        (Role.ADMIN, set()),
    ],
)
def test_staff_roles_get_403_for_what_they_lack(client, app_bank, ada, role, refused):
    _, c = caller(client, app_bank, role)
    for method, path, body in requests(ada):
        name = path.split("?")[0].rstrip("/").split("/")[-1]
        response = send(c, method, path, body)
        if name in refused:
            assert response.status_code == 403, path
            assert response.json["detail"] == "your role does not allow this"
        else:
            # Unfreezing is asked for (202) and waits for a second person's approval.
            expected = 202 if name == "unfreeze" else 200
            assert response.status_code == expected, (path, response.json)
    status = app_bank.store.ledger.get_account(ada.account_id).status
    frozen = "freeze" not in refused
    assert status is (AccountStatus.FROZEN if frozen else AccountStatus.OPEN)


def test_search_and_view(client, app_bank, ada):
    _, c = caller(client, app_bank, Role.FINANCIAL_MANAGER)
    found = c.get("/customers", q=ada.account_number).json["items"]
    assert [u["email"] for u in found] == [ada.email]
    assert "password_hash" not in found[0]
    view = c.get(f"/customers/{ada.user_id}").json
    [account] = view["accounts"]
    assert (account["number"], account["balance"], account["status"], account["status_reason"]) == (
        ada.account_number,
        "30.00",
        "open",
        "",
    )
    assert [line["amount"] for line in account["recent"]] == ["30.00"]
    assert view["tokens"] == []
    assert c.get("/customers", q="a").status_code == 422
    assert c.get("/customers/nobody").status_code == 404


def test_freeze_and_unfreeze_with_a_reason(client, app_bank, ada):
    user, c = caller(client, app_bank, Role.FRAUD_ANALYST)
    response = c.post(
        f"/accounts/{ada.account_id}/freeze",
        {"reason": "suspected mule account", "customer_message": "verify"},
    )
    assert response.status_code == 200
    told = FREEZE_MESSAGES["verify"]
    assert (response.json["status"], response.json["status_reason"]) == ("frozen", told)
    line = next(e for e in audit_lines(app_bank) if e.action.value == "account_frozen")
    assert (line.actor_email, line.ip, line.target) == (user.email, IP, ada.account_id)
    assert line.details == {
        "number": ada.account_number,
        "reason": "suspected mule account",
        "customer_message": "verify",
    }
    # The customer's own API shows the message and nothing of the reason.
    token, _ = tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    mine = client.get(
        f"/api/v1/accounts/{ada.account_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200 and "mule" not in mine.get_data(as_text=True)
    asked = c.post(f"/accounts/{ada.account_id}/unfreeze", {"reason": "found it"})
    assert asked.status_code == 202
    assert (asked.json["action"], asked.json["status"]) == ("unfreeze_account", "pending")
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.FROZEN
    _, other = caller(client, app_bank, Role.FRAUD_ANALYST)
    done = other.post(f"/approvals/{asked.json['id']}/approve")
    assert done.status_code == 200 and done.json["status"] == "approved"
    back = app_bank.store.ledger.get_account(ada.account_id)
    assert (back.status, back.status_reason) == (AccountStatus.OPEN, "")


def test_the_customer_view_lists_the_customers_requests_waiting_for_approval(client, app_bank, ada):
    _, c = caller(client, app_bank, Role.FRAUD_ANALYST)
    assert c.get(f"/customers/{ada.user_id}").json["pending_requests"] == []
    bob = new_customer(app_bank, "Bob Babbage", deposit="5.00")
    c.post(f"/accounts/{ada.account_id}/freeze", {"reason": "check", "customer_message": "verify"})
    asked = c.post(f"/accounts/{ada.account_id}/unfreeze", {"reason": "cleared"}).json
    c.post(
        "/approvals",
        {"action": "close_account", "target": bob.account_id, "reason": "by letter"},
    )
    _, reader = caller(client, app_bank, Role.FINANCIAL_MANAGER)
    [waiting] = reader.get(f"/customers/{ada.user_id}").json["pending_requests"]
    assert waiting == asked  # the same shape as /approvals, and only Ada's
    assert (waiting["action"], waiting["target"], waiting["status"]) == (
        "unfreeze_account",
        ada.account_id,
        "pending",
    )
    _, other = caller(client, app_bank, Role.ADMIN)
    other.post(f"/approvals/{asked['id']}/approve")
    assert reader.get(f"/customers/{ada.user_id}").json["pending_requests"] == []


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 422),
        ({"reason": ""}, 422),
        ({"reason": 5}, 422),
        ({"reason": "x" * 501}, 422),
        ({"reason": "stolen card", "customer_message": "suspected laundering"}, 422),
        ({"reason": "stolen card", "customer_message": 3}, 422),
        ([], 400),
    ],
)
def test_a_freeze_without_a_fitting_reason_changes_nothing(client, app_bank, ada, body, status):
    _, c = caller(client, app_bank, Role.FRAUD_ANALYST)
    response = c.post(f"/accounts/{ada.account_id}/freeze", body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN


def test_a_freeze_needs_a_json_body_and_a_real_account(client, app_bank, ada):
    _, c = caller(client, app_bank, Role.FRAUD_ANALYST)
    assert (
        c.post(
            f"/accounts/{ada.account_id}/freeze",
            data="reason=x",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 415
    )
    assert c.post("/accounts/nope/freeze", {"reason": "x"}).status_code == 404


def test_the_audit_log_filters_and_pages(client, app_bank, ada, monkeypatch):
    from flaskbank.web.staff import api

    monkeypatch.setattr(api, "AUDIT_PAGE", 2)
    analyst, a = caller(client, app_bank, Role.FRAUD_ANALYST)
    for _ in range(3):
        a.get("/customers", q="ada")
    _, c = caller(client, app_bank, Role.COMPLIANCE_OFFICER)
    seen, cursor = [], None
    while True:
        query = {"action": "customer_searched", "actor": analyst.email.upper()}
        page = c.get("/audit", **query, **({"cursor": cursor} if cursor else {})).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and {e["ip"] for e in seen} == {IP}
    assert seen[0]["details"] == {"query": "ada"} and seen[0]["at"] >= seen[-1]["at"]
    assert c.get("/audit", action="nope").status_code == 422
    assert c.get("/audit", since="2025-02-01", until="2025-01-01").status_code == 422
    assert c.get("/audit", cursor="!!").status_code == 422


def test_the_audit_log_finds_staff_whose_email_has_capitals(client, app_bank):
    boss, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER, "Auditor.Boss@Bank.example")
    c = Caller(client, token)
    assert c.get("/customers", q="nobody").status_code == 200
    for typed in ("auditor.boss@bank.example", "AUDITOR.BOSS@bank.example"):
        items = c.get("/audit", actor=typed).json["items"]
        assert [e["action"] for e in items] == [
            "customer_searched",
            "token_created",
            "login_succeeded",
        ], typed


def test_responses_are_not_cached(client, app_bank):
    _, c = caller(client, app_bank, Role.ADMIN)
    assert c.get("/audit").headers["Cache-Control"] == "no-store"


def test_the_openapi_fragment_describes_every_staff_route(app):
    document = openapi.extend(copy.deepcopy(DOCUMENT))
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff_api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
            paths = [path.replace("{name}", n) for n in SPECS] if "{name}" in path else [path]
            routes |= {(p, m) for p in paths for m in rule.methods - {"HEAD", "OPTIONS"}}
    paths = {
        **openapi.PATHS,
        **monitoring_openapi.PATHS,
        **reports_openapi.PATHS,
        **approvals_openapi.PATHS,
        **compliance_openapi.PATHS,
    }
    documented = {(p, m.upper()) for p, item in paths.items() for m in item}
    assert routes == documented
    text = repr(document)
    for ref in re.findall(r"'\$ref': '#/([^']+)'", text):
        node = document
        for part in ref.split("/"):
            node = node[part]
    for path, item in paths.items():
        for operation in item.values():
            assert {"401", "403"} <= operation["responses"].keys(), path
