"""Who gets which staff page: anonymous people are sent to log in, customers see a 404 as for
a page that does not exist, staff whose role lacks the power see a 403, and nothing changes."""

from __future__ import annotations

import re

import pytest

from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.security import Permission, allows
from flaskbank.services.analytics import saved
from flaskbank.services.monitoring import backtests
from flaskbank.web.staff.policy import MARK
from test_monitoring_support import held_alert
from test_staff_support import (
    CLI,
    customer_signed_in,
    make_staff,
    staff_client,
    with_staff,
)
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


MONITOR = Permission.MONITOR_TRANSACTIONS
BUILD = Permission.BUILD_REPORTS
COMPLIANCE = Permission.REVIEW_COMPLIANCE
_DRAFT = '[{"id": "big", "type": "amount_over", "params": {}, "score": 50}]'

# Every staff page, with the permission it needs (None: any staff role).
PAGES = [
    ("GET", "/staff", None),
    ("GET", "/staff/customers", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/customers?q=ada", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/customers/{uid}", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/customers/{uid}/accounts/{aid}/freeze", Permission.FREEZE_ACCOUNTS),
    ("GET", "/staff/customers/{uid}/accounts/{aid}/unfreeze", Permission.FREEZE_ACCOUNTS),
    ("GET", "/staff/customers/{uid}/accounts/{aid}/hold", Permission.HOLD_FUNDS),
    ("GET", "/staff/customers/{uid}/accounts/{aid}/history", Permission.VIEW_CUSTOMERS),
    (
        "GET",
        "/staff/customers/{uid}/accounts/{aid}/statements/{month}",
        Permission.VIEW_CUSTOMERS,
    ),
    ("GET", "/staff/customers/{uid}/second-factor-reset", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/customers/{uid}/password-reset", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/customers/{uid}/accounts/{aid}/close", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/approvals", Permission.VIEW_CUSTOMERS),
    ("GET", "/staff/users", Permission.MANAGE_USERS),
    ("GET", "/staff/users/new", Permission.MANAGE_USERS),
    ("GET", "/staff/users/{uid}", Permission.MANAGE_USERS),
    ("GET", "/staff/logins/unlock", Permission.MANAGE_USERS),
    ("GET", "/staff/audit", Permission.VIEW_AUDIT_LOG),
    ("GET", "/staff/compliance", COMPLIANCE),
    ("GET", "/staff/compliance?from=2026-01-01&to=2026-01-31", COMPLIANCE),
    ("GET", "/staff/reports", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/deposit_growth", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/deposit_growth?period=quarter&format=csv", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/saved/{srid}", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/saved/{srid}?format=csv", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/entries", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/entries?currency=USD&side=debits&size=5", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/customers", Permission.VIEW_REPORTS),
    ("GET", "/staff/reports/customers?at=2026-01-31&category=churned", Permission.VIEW_REPORTS),
    ("GET", "/staff/monitoring", MONITOR),
    ("GET", "/staff/monitoring/live.json", MONITOR),
    ("GET", "/staff/monitoring/alerts", MONITOR),
    ("GET", "/staff/monitoring/alerts?sort=severity&status=open", MONITOR),
    ("GET", "/staff/monitoring/alerts/{alid}", MONITOR),
    ("GET", "/staff/monitoring/rules", MONITOR),
    ("GET", "/staff/monitoring/rules/{rid}", MONITOR),
    ("GET", "/staff/monitoring/rules/{rid}/history", MONITOR),
    ("GET", "/staff/monitoring/backtests", MONITOR),
    ("GET", "/staff/monitoring/backtests/{bid}", MONITOR),
    ("GET", "/staff/monitoring/backtests/{bid}/status.json", MONITOR),
]
# Every staff action, with a body that would succeed for a role allowed to do it.
ACTIONS = [
    (
        "POST",
        "/staff/customers/{uid}/accounts/{aid}/freeze",
        Permission.FREEZE_ACCOUNTS,
        {"reason": "suspected fraud"},
    ),
    (
        "POST",
        "/staff/customers/{uid}/accounts/{aid}/unfreeze",
        Permission.FREEZE_ACCOUNTS,
        {"reason": "cleared"},
    ),
    (
        "POST",
        "/staff/users/new",
        Permission.MANAGE_USERS,
        {"email": "mallory@bank.example", "full_name": "Mallory", "role": "admin"},
    ),
    (
        "POST",
        "/staff/customers/{uid}/accounts/{aid}/hold",
        Permission.HOLD_FUNDS,
        {"amount": "1.00", "reason": "court order"},
    ),
    ("POST", "/staff/customers/{uid}/accounts/{aid}/holds/{hid}/{act}", Permission.HOLD_FUNDS, {}),
    ("POST", "/staff/customers/{uid}/notes", Permission.VIEW_CUSTOMERS, {"text": "called"}),
    (
        "POST",
        "/staff/customers/{uid}/second-factor-reset",
        Permission.VIEW_CUSTOMERS,
        {"reason": "identity checked"},
    ),
    (
        "POST",
        "/staff/customers/{uid}/password-reset",
        Permission.VIEW_CUSTOMERS,
        {"reason": "identity checked"},
    ),
    (
        "POST",
        "/staff/customers/{uid}/accounts/{aid}/close",
        Permission.VIEW_CUSTOMERS,
        {"reason": "moving abroad", "detail": "payout"},
    ),
    ("POST", "/staff/approvals/{reqid}/{dec}", Permission.VIEW_CUSTOMERS, {}),
    ("POST", "/staff/users/{uid}/role", Permission.MANAGE_USERS, {"role": "admin"}),
    ("POST", "/staff/users/{uid}/revoke", Permission.MANAGE_USERS, {}),
    ("POST", "/staff/logins/unlock", Permission.MANAGE_USERS, {"email": "x@example.com"}),
    ("POST", "/staff/monitoring/alerts/{alid}/status", MONITOR, {"status": "investigating"}),
    ("POST", "/staff/monitoring/alerts/{alid}/assign", MONITOR, {"assignee": "x@bank.example"}),
    ("POST", "/staff/monitoring/alerts/{alid}/note", MONITOR, {"note": "looked at it"}),
    ("POST", "/staff/monitoring/alerts/{alid}/freeze", MONITOR, {"reason": "fraud"}),
    ("POST", "/staff/monitoring/alerts/{alid}/release", MONITOR, {}),
    ("POST", "/staff/monitoring/alerts/{alid}/reject", MONITOR, {}),
    (
        "POST",
        "/staff/monitoring/rules/{rid}",
        MONITOR,
        {"p_amount": "1.00", "p_types": "transfer", "score": "90", "action": "block"},
    ),
    ("POST", "/staff/monitoring/thresholds", MONITOR, {"review_at": "1", "block_at": "2"}),
    (
        "POST",
        "/staff/monitoring/backtests",
        MONITOR,
        {"since": "2026-01-01", "until": "2026-01-02", "rules": _DRAFT},
    ),
    (
        "POST",
        "/staff/reports/saved",
        BUILD,
        {
            "report": "builder",
            "name": "Mine",
            "param_from": "2026-01-01",
            "param_to": "2026-01-31",
            "param_metric": "transactions",
        },
    ),
    ("POST", "/staff/reports/saved/{srid}/delete", BUILD, {}),
    (
        "POST",
        "/staff/compliance/actions",
        COMPLIANCE,
        {"finding": "kyc_gap:{uid}", "text": "customer contacted"},
    ),
]


@pytest.fixture
def target(app, app_bank):
    """A customer whose pages the requests are about."""
    who, _ = customer_signed_in(app, app_bank, "Ada Target")
    return who


@pytest.fixture
def ids(app_bank, target):
    """What the paths name: the target's ids, and for the monitoring pages a held
    transfer's alert (on another customer), a rule and a backtest."""
    alert, _ = held_alert(app_bank)
    analyst = make_staff(app_bank, Role.FRAUD_ANALYST)
    backtest = backtests.start(app_bank, analyst, since="2026-01-01", until="2026-01-02", actor=CLI)
    shared = saved.save(
        app_bank,
        make_staff(app_bank, Role.ADMIN),
        name="Shared",
        report="deposit_growth",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        actor=CLI,
    )
    return {
        "uid": target.user_id,
        "aid": target.account_id,
        "hid": "a-hold",
        "act": "void",
        "alid": alert.id,
        "rid": "large_amount",
        "bid": backtest.id,
        "srid": shared.id,
        "month": app_bank.now()[:7],
        "reqid": "a-request",
        "dec": "approve",
    }


def _requests(ids):
    for method, path, permission in PAGES:
        yield method, path.format(**ids), permission, None
    for method, path, permission, data in ACTIONS:
        # A finding names its customer: the target's, so that the action would succeed.
        data = {k: v.format(**ids) if k == "finding" else v for k, v in data.items()}
        yield method, path.format(**ids), permission, data


def _send(client, method, path, data):
    return client.get(path) if method == "GET" else client.post(path, data=data)


def _unchanged(bank, target, audit_before):
    account = bank.store.ledger.get_account(target.account_id)
    user = bank.store.users.get_user(target.user_id)
    assert account.status is AccountStatus.OPEN and user.role is Role.CUSTOMER
    assert account.held_minor == 0
    assert bank.store.users.find_user_by_email("mallory@bank.example") is None
    staff_actions = {
        "account_frozen",
        "account_unfrozen",
        "staff_created",
        "role_changed",
        "sessions_revoked",
        "login_unlocked",
        "customer_viewed",
        "customer_searched",
        "hold_placed",
        "hold_released",
        "hold_voided",
        "alert_updated",
        "rule_changed",
        "backtest_started",
        "report_saved",
        "report_deleted",
        "note_added",
        "approval_requested",
        "approval_approved",
        "approval_rejected",
        "second_factor_reset",
        "corrective_action_recorded",
    }
    items = bank.store.audit.audit_log(limit=500).items  # newest first
    new = items[: len(items) - audit_before]
    assert [e.action.value for e in new if e.action.value in staff_actions] == []


def test_every_staff_route_is_guarded_and_listed_here(app):
    listed = {re.sub(r"\?.*", "", p) for _, p, _ in PAGES} | {p for _, p, _, _ in ACTIONS}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            assert hasattr(app.view_functions[rule.endpoint], MARK), rule.endpoint
            path = rule.rule
            for name, field in (
                ("user_id", "uid"),
                ("account_id", "aid"),
                ("hold_id", "hid"),
                ("alert_id", "alid"),
                ("rule_id", "rid"),
                ("backtest_id", "bid"),
                ("report_id", "srid"),
                ("month", "month"),
                ("request_id", "reqid"),
                ("decision", "dec"),
            ):
                path = path.replace(f"<{name}>", f"{{{field}}}")
            routes.add(path.replace("<action>", "{act}").replace("<name>", "deposit_growth"))
    assert routes == listed


def test_anonymous_people_are_sent_to_log_in(app, app_bank, target, ids):
    client = app.test_client()
    before = len(app_bank.store.audit.audit_log(limit=500).items)
    for method, path, _, data in _requests(ids):
        response = _send(client, method, path, data)
        assert response.status_code == 302, (method, path)
        assert response.location.startswith("/login?next="), (method, path)
    _unchanged(app_bank, target, before)


def test_a_customer_gets_404_for_every_staff_page_and_changes_nothing(app, app_bank, target, ids):
    _, client = customer_signed_in(app, app_bank, "Eve Customer")
    before = len(app_bank.store.audit.audit_log(limit=500).items)
    for method, path, _, data in _requests(ids):
        response = _send(client, method, path, data)
        assert response.status_code == 404, (method, path)
        page = Page(response)
        assert "Page not found" in page.text and "staff" not in page.text.lower()
    _unchanged(app_bank, target, before)


def test_the_customers_own_target_page_cannot_be_reached_by_guessing(app, app_bank, target):
    # The customer's own id makes no difference: staff pages are not theirs either.
    _, client = customer_signed_in(app, app_bank, "Eve Customer")
    assert client.get(f"/staff/customers/{target.user_id}").status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CUSTOMER])
def test_staff_get_403_for_what_their_role_lacks_and_change_nothing(
    app, app_bank, target, ids, role
):
    _, client = staff_client(app, app_bank, role)
    before = len(app_bank.store.audit.audit_log(limit=500).items)
    refused = [
        (m, p, d) for m, p, perm, d in _requests(ids) if perm is not None and not allows(role, perm)
    ]
    for method, path, data in refused:
        response = _send(client, method, path, data)
        assert response.status_code == 403, (role, method, path)
        assert "Forbidden" in Page(response).text
    _unchanged(app_bank, target, before)
    if role is Role.ADMIN:
        assert refused == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CUSTOMER])
def test_staff_open_every_page_their_role_allows(app, app_bank, ids, role):
    _, client = staff_client(app, app_bank, role)
    for _, path, permission in PAGES:
        if permission is None or allows(role, permission):
            path = path.format(**ids)
            assert client.get(path).status_code == 200, (role, path)


def test_the_staff_home_links_only_what_the_role_may_open(app, app_bank):
    _, analyst = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    _, admin = staff_client(app, app_bank, Role.ADMIN)
    analyst_page, admin_page = Page(analyst.get("/staff")), Page(admin.get("/staff"))
    assert analyst_page.link("Find a customer") == "/staff/customers"
    assert analyst_page.link("Audit log") is None and analyst_page.link("Users") is None
    assert admin_page.link("Audit log") == "/staff/audit"
    assert admin_page.link("Users") == "/staff/users"


def test_staff_with_a_one_time_password_must_change_it_first(app, app_bank):
    _, client = staff_client(app, app_bank, Role.ADMIN, ready=False)
    response = client.get("/staff")
    assert response.status_code == 302 and "password" in response.location


def test_a_service_refusal_is_a_403_page_too(app, app_bank, target, monkeypatch):
    # The policy is the first check; the service's own check answers the same way.
    from flaskbank.web.staff import policy

    monkeypatch.setattr(policy, "allows", lambda role, permission: True)
    _, client = staff_client(app, app_bank, Role.FINANCIAL_MANAGER)
    response = client.post(
        f"/staff/customers/{target.user_id}/accounts/{target.account_id}/freeze",
        data={"reason": "x"},
    )
    assert response.status_code == 403
    assert app_bank.store.ledger.get_account(target.account_id).status is AccountStatus.OPEN


def test_staff_land_on_the_staff_area_after_both_login_steps(app, app_bank):
    import pyotp

    from flaskbank.services import staff as staff_service
    from test_staff_support import CLI

    user, password = staff_service.create_staff(
        app_bank,
        email="cora@bank.example",
        full_name="Cora Compliance",
        role="compliance_officer",
        actor=CLI,
    )
    secret = pyotp.random_base32()
    app_bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={"must_change_password": False, "totp_secret": secret},
    )
    client = app.test_client()
    step = client.post("/login", data={"email": user.email, "password": password})
    assert step.status_code == 302 and step.headers["Location"].endswith("/login/code")
    done = client.post("/login/code", data={"otp": pyotp.TOTP(secret).at(app_bank.clock())})
    # Compliance officers land on their work, the compliance review.
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/compliance")
    landed = client.get("/staff/compliance").get_data(as_text=True)
    assert 'href="/staff"' in landed and "<h1>Compliance</h1>" in landed


def test_customers_see_no_staff_link(app, app_bank):
    _, client = customer_signed_in(app, app_bank)
    assert 'href="/staff"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FRAUD_ANALYST, Role.ADMIN])
def test_staff_are_not_customers_no_banking_menu_no_accounts(app, app_bank, role):
    from test_staff_support import staff_token

    _, client = staff_client(app, app_bank, role)
    page = client.get("/staff").get_data(as_text=True)
    for customer_page in ('href="/transfer"', "Standing orders", ">Dashboard<"):
        assert customer_page not in page
    home = "/staff/monitoring" if role is Role.FRAUD_ANALYST else "/staff"
    for path in ("/", "/transfer", "/accounts/new"):
        assert client.get(path).location == home, path
    _, token = staff_token(app_bank, role, email=f"{role.value}-api@bank.example")
    api = app.test_client()
    opened = api.post(
        "/api/v1/accounts", json={"type": "checking"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert opened.status_code == 403 and "hold no accounts" in opened.get_json()["detail"]
