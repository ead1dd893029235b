"""The demo's staff logins (demo_staff.py), from outside: over HTTP on both stores, signed in
with the published password and TOTP secret, on a server running as the demo and on one that
is not; and the store operations behind them."""

from __future__ import annotations

import re
import secrets

import pyotp
import pytest

from conftest import new_customer
from flaskbank.config import Config
from flaskbank.demo_staff import (
    LOGINS,
    STAFF_PASSWORD,
    TOTP_SECRET,
    add_demo_staff,
    demo_staff_in,
    provisioning_uri,
    remove_demo_staff,
)
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import (
    AccountNotFound,
    DemoOnlyLogin,
    NotPermitted,
    StaleRecord,
    ValidationFailed,
)
from flaskbank.passwords import FastHasher
from flaskbank.services import customers, staff, tokens
from flaskbank.services.audit import Actor
from flaskbank.web import bank_of, create_app
from test_staff_support import CLI, enrolled

#: Where each role lands after signing in (its work).
LANDS = {
    Role.FRAUD_ANALYST: "/staff/monitoring",
    Role.FINANCIAL_MANAGER: "/staff/reports",
    Role.COMPLIANCE_OFFICER: "/staff/compliance",
    Role.ADMIN: "/staff",
}
#: What each role opens in the staff area, and a page it may not.
PAGES = {
    Role.FRAUD_ANALYST: (["/staff", "/staff/customers?q=ab"], "/staff/audit"),
    Role.FINANCIAL_MANAGER: (["/staff", "/staff/customers?q=ab"], "/staff/users"),
    Role.COMPLIANCE_OFFICER: (
        ["/staff", "/staff/compliance", "/staff/customers?q=ab", "/staff/audit"],
        "/staff/users",
    ),
    Role.ADMIN: (["/staff", "/staff/users", "/staff/audit", "/staff/customers?q=ab"], None),
}
IP = "198.51.100.7"


@pytest.fixture
def apps(store, tmp_path):
    """Two apps on one store and one secret key: as `flaskbank demo` serves it, and as
    `flaskbank serve` would."""
    key = secrets.token_hex(32)

    def app(demo: bool):
        return create_app(
            Config(data_dir=tmp_path, secret_key=key, demo=demo),
            overrides={"TESTING": True, "WTF_CSRF_ENABLED": False},
            store=store,
            passwords=FastHasher(),
        )

    demo, served = app(True), app(False)
    add_demo_staff(bank_of(demo))
    return demo, served


def log_in(app, email, password=STAFF_PASSWORD, code=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = IP
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code == 302 and response.location == "/login/code":
        code = code or pyotp.TOTP(TOTP_SECRET).now()
        response = client.post("/login/code", data={"otp": code})
    return client, response


@pytest.mark.parametrize("login", LOGINS, ids=lambda login: login.role.value)
def test_each_role_signs_in_to_the_demo_in_one_step_and_reaches_its_pages(apps, login):
    demo, _ = apps
    client, response = log_in(demo, login.email)
    assert response.status_code == 302 and response.location == LANDS[login.role]
    assert client.get(response.location).status_code == 200
    # Staff are not customers: the customer pages send them to their work.
    assert client.get("/").location == LANDS[login.role]
    allowed, forbidden = PAGES[login.role]
    for path in allowed:
        assert client.get(path).status_code == 200, path
    if forbidden:
        assert client.get(forbidden).status_code == 403


def test_the_printed_secret_and_uri_give_valid_codes(apps):
    demo, _ = apps
    uri = provisioning_uri()
    assert uri.startswith("otpauth://totp/") and f"secret={TOTP_SECRET}" in uri
    code = pyotp.parse_uri(uri).now()
    _, response = log_in(demo, LOGINS[0].email, code=code)
    assert response.location == LANDS[LOGINS[0].role]
    # ...and the same code again is a replay, refused as for any user.
    _, again = log_in(demo, LOGINS[0].email, code=code)
    assert again.status_code == 401


@pytest.mark.parametrize("login", LOGINS, ids=lambda login: login.role.value)
def test_outside_the_demo_each_is_refused_with_a_clear_message_and_audited(apps, login):
    _, served = apps
    client, response = log_in(served, login.email)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "demo-only login" in page and "flaskbank demo" in page
    assert client.get("/staff").status_code == 302  # to the login page: not signed in
    bank = bank_of(served)
    user = bank.store.users.find_user_by_email(login.email)
    entry = bank.store.audit.audit_log(limit=1).items[0]
    assert (entry.action.value, entry.target, entry.ip) == ("login_refused", user.id, IP)
    assert entry.details == {"reason": "demo_only"}
    # The password was right: nothing counts toward a lock.
    assert bank.store.sessions.login_throttle(login.email).failures == 0


def test_on_the_demo_the_code_page_shows_demo_logins_their_code(apps):
    demo, _ = apps
    for _ in range(2):  # the second login within 30 s is shown the next step's code
        client = demo.test_client()
        client.post("/login", data={"email": LOGINS[1].email, "password": STAFF_PASSWORD})
        page = client.get("/login/code").get_data(as_text=True)
        [code] = re.findall(r'<strong id="demo-code">(\d{6})</strong>', page)
        assert client.post("/login/code", data={"otp": code}).location == LANDS[LOGINS[1].role]
    # Real staff on the same server are shown nothing.
    bank = bank_of(demo)
    user, password = staff.create_staff(
        bank, email="nina@bank.example", full_name="Nina", role="admin", actor=CLI
    )
    enrolled(bank, user)
    client = demo.test_client()
    client.post("/login", data={"email": user.email, "password": password})
    assert "demo-code" not in client.get("/login/code").get_data(as_text=True)


def test_outside_the_demo_the_api_gives_no_token(apps):
    demo, served = apps
    body = {"email": LOGINS[3].email, "password": STAFF_PASSWORD}
    refused = served.test_client().post("/api/v1/tokens", json=body)
    assert refused.status_code == 401 and "demo-only" in refused.get_json()["detail"]
    otp = pyotp.TOTP(TOTP_SECRET).now()
    issued = demo.test_client().post("/api/v1/tokens", json={**body, "otp": otp})
    assert issued.status_code == 201, issued.get_json()


def test_sessions_and_tokens_begun_in_the_demo_end_outside_it(apps):
    demo, served = apps
    client, _ = log_in(demo, LOGINS[3].email)
    assert client.get("/staff/users").status_code == 200
    otp = pyotp.TOTP(TOTP_SECRET).at(
        bank_of(demo).clock(), counter_offset=1
    )  # the next step: no replay
    token, _ = tokens.issue_token(
        bank_of(demo), email=LOGINS[3].email, password=STAFF_PASSWORD, otp=otp
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert demo.test_client().get("/api/v1/staff/audit", headers=headers).status_code == 200
    # The same cookie and token against the same store, served for real:
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = served.test_client()
    other.set_cookie(cookie.key, cookie.value)
    assert other.get("/staff/users").status_code == 302
    assert served.test_client().get("/api/v1/staff/audit", headers=headers).status_code == 401


def test_a_password_step_passed_in_the_demo_completes_nowhere_else(apps):
    demo, served = apps
    client = demo.test_client()
    client.post("/login", data={"email": LOGINS[0].email, "password": STAFF_PASSWORD})
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = served.test_client()
    other.set_cookie(cookie.key, cookie.value)
    answer = other.post("/login/code", data={"otp": pyotp.TOTP(TOTP_SECRET).now()})
    assert answer.status_code == 302 and answer.location == "/login"
    assert other.get("/staff").status_code == 302


def test_running_the_demo_again_adds_no_one(apps):
    demo, _ = apps
    bank = bank_of(demo)
    before = bank.store.users.count_users()
    assert add_demo_staff(bank) == []
    assert bank.store.users.count_users() == before == len(LOGINS)
    found = demo_staff_in(bank)
    assert sorted(u.role for u in found) == sorted(login.role for login in LOGINS)
    assert all(u.demo_only and u.has_two_factor and not u.must_change_password for u in found)


def test_real_users_are_not_demo_only_and_sign_in_anywhere(apps):
    demo, served = apps
    ada = new_customer(bank_of(served))
    assert not bank_of(served).store.users.get_user(ada.user_id).demo_only
    for app in (demo, served):
        _, response = log_in(app, ada.email, ada.password)
        assert response.status_code == 302 and response.location == "/"


def test_a_demo_login_keeps_its_email(apps):
    demo, _ = apps
    bank = bank_of(demo)
    user = bank.store.users.find_user_by_email(LOGINS[0].email)
    with pytest.raises(ValidationFailed) as refused:
        customers.update_profile(bank, user.id, email="dana@elsewhere.example")
    assert "keep their emails" in refused.value.errors["email"]


def test_removing_the_demo_staff_deletes_them_and_their_ways_in(apps):
    demo, served = apps
    bank = bank_of(demo)
    client, _ = log_in(demo, LOGINS[3].email)
    removed = remove_demo_staff(bank, Actor(None, "cli", "local"))
    assert sorted(u.email for u in removed) == sorted(login.email for login in LOGINS)
    assert demo_staff_in(bank) == [] and bank.store.users.count_users() == 0
    assert client.get("/staff/users").status_code == 302
    _, response = log_in(demo, LOGINS[3].email)
    assert response.status_code == 401 and "wrong email or password" in response.get_data(
        as_text=True
    )
    entries = [e for e in bank.store.audit.audit_log(limit=20).items if e.actor_email == "cli"]
    assert sorted(e.details["email"] for e in entries) == sorted(lo.email for lo in LOGINS)
    assert {e.action.value for e in entries} == {"staff_removed"}
    assert remove_demo_staff(bank, Actor(None, "cli", "local")) == []
    # And the demo can make them again, once.
    assert len(add_demo_staff(bank)) == len(LOGINS)


def test_removing_a_user_is_conditional_on_the_version_read(apps):
    demo, _ = apps
    bank = bank_of(demo)
    user = bank.store.users.find_user_by_email(LOGINS[2].email)
    bank.store.users.update_user(user.id, version=user.version, changes={"full_name": "Chen"})
    with pytest.raises(StaleRecord):
        bank.store.users.remove_user(user.id, version=user.version)
    assert bank.store.users.find_user_by_email(LOGINS[2].email) is not None
    bank.store.users.remove_user(user.id, version=user.version + 1)
    with pytest.raises(AccountNotFound):
        bank.store.users.remove_user(user.id, version=user.version + 1)


def test_a_user_with_accounts_is_never_removed(bank):
    ada = new_customer(bank)
    user = bank.store.users.get_user(ada.user_id)
    with pytest.raises(NotPermitted):
        bank.store.users.remove_user(user.id, version=user.version)
    assert bank.store.users.get_user(ada.user_id) is not None
    assert bank.store.users.find_user_by_email(ada.email) is not None


def test_the_service_refuses_a_demo_login_outside_the_demo(apps):
    _, served = apps
    with pytest.raises(DemoOnlyLogin):
        tokens.issue_token(bank_of(served), email=LOGINS[1].email, password=STAFF_PASSWORD)
