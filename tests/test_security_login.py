"""Logging in as an attacker would try it: guessing passwords past the lock, telling
customers from strangers, replaying a code, skipping the second step or a forced duty."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.events import EventKind
from flaskbank.domain.security import DEVICE_DIGITS, device_of
from flaskbank.services import customers
from test_api_support import API, assert_problem
from test_security_support import (
    GOOD_PASSWORD,
    advance,
    audit_actions,
    enrol,
    log_in,
    make_app,
    make_staff,
    signed_in_page,
    totp,
)
from test_web_support import Page, balance


def token_request(client, email: str, password: str, otp: str | None = None):
    body = {"email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post(f"{API}/tokens", json=body)


# -- brute force ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_web_login(client, app_bank):
    ada = new_customer(app_bank, deposit="10.00")
    for _ in range(5):
        assert log_in(client, ada.email, "wrong password!").status_code == 401
    page = Page(log_in(client, ada.email, ada.password))
    assert page.status == 429
    assert any("too many failed attempts" in m for m in page.form_errors)
    assert not signed_in_page(client)
    assert balance(app_bank, ada) == "10.00"
    assert "login_locked" in audit_actions(app_bank)


def test_five_wrong_passwords_lock_the_api_too(client, app_bank):
    ada = new_customer(app_bank)
    for _ in range(5):
        assert_problem(token_request(client, ada.email, "wrong password!"), 401)
    response = token_request(client, ada.email, ada.password)
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert app_bank.store.sessions.tokens_of(ada.user_id) == []


def test_web_and_api_failures_count_together(client, app_bank):
    ada = new_customer(app_bank)
    for _ in range(3):
        log_in(client, ada.email, "wrong password!")
    for _ in range(2):
        token_request(client, ada.email, "wrong password!")
    assert_problem(token_request(client, ada.email, ada.password), 429)


def test_the_lock_runs_out(client, app_bank):
    ada = new_customer(app_bank)
    for _ in range(5):
        log_in(client, ada.email, "wrong password!")
    advance(app_bank, minutes=1, seconds=1)
    assert log_in(client, ada.email, ada.password).status_code == 302


def test_the_threshold_follows_the_setting(store, tmp_path):
    app = make_app(store, tmp_path, lockout_threshold=2)
    bank = app.extensions["flaskbank"]
    ada = new_customer(bank)
    client = app.test_client()
    for _ in range(2):
        log_in(client, ada.email, "wrong password!")
    assert log_in(client, ada.email, ada.password).status_code == 429


def test_unknown_email_and_wrong_password_answer_alike(client, app_bank):
    ada = new_customer(app_bank)
    wrong = log_in(client, ada.email, "wrong password!")
    unknown = log_in(client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert Page(wrong).form_errors == Page(unknown).form_errors == ["wrong email or password"]
    api_wrong = token_request(client, ada.email, "wrong password!")
    api_unknown = token_request(client, "nobody@example.com", "wrong password!")
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.json == api_unknown.json
    for _ in range(4):  # and a stranger's email locks just like a customer's
        log_in(client, "nobody@example.com", "x")
        log_in(client, ada.email, "x")
    locked = (Page(log_in(client, ada.email, "x")), Page(log_in(client, "nobody@example.com", "x")))
    assert [p.status for p in locked] == [429, 429]
    assert locked[0].form_errors == locked[1].form_errors


# -- the second factor ---------------------------------------------------------------------


def test_two_factor_login_needs_the_code_before_anything_opens(client, app_bank):
    ada = new_customer(app_bank, deposit="10.00")
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    response = log_in(client, ada.email, ada.password)
    assert response.status_code == 302 and response.location == "/login/code"
    assert not signed_in_page(client)  # the password alone opens nothing
    withdraw = client.post(
        f"/accounts/{ada.account_id}/withdraw", data={"amount": "10.00", "token": "t"}
    )
    assert withdraw.status_code == 302 and withdraw.location.startswith("/login")
    assert Page(client.post("/login/code", data={"otp": "000000"})).status == 401
    assert client.post("/login/code", data={"otp": totp(secret, app_bank)}).status_code == 302
    assert signed_in_page(client)
    assert balance(app_bank, ada) == "10.00"
    assert "login_succeeded" in audit_actions(app_bank)


def test_the_code_page_without_a_password_step_goes_back_to_login(client, app_bank):
    ada = new_customer(app_bank)
    enrol(app_bank, ada.user_id)
    response = client.post("/login/code", data={"otp": "123456"})
    assert response.status_code == 302 and response.location == "/login"


def test_a_replayed_code_is_refused_on_the_web(app, client, app_bank):
    ada = new_customer(app_bank)
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    code = totp(secret, app_bank)
    log_in(client, ada.email, ada.password)
    assert client.post("/login/code", data={"otp": code}).status_code == 302
    eve = app.test_client()  # someone who watched the code being typed
    log_in(eve, ada.email, ada.password)
    page = Page(eve.post("/login/code", data={"otp": code}))
    assert page.status == 401 and "already used" in page.error("otp")
    assert not signed_in_page(eve)


def test_a_replayed_code_is_refused_by_the_api(client, app_bank):
    ada = new_customer(app_bank)
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    code = totp(secret, app_bank)
    assert token_request(client, ada.email, ada.password, code).status_code == 201
    body = assert_problem(token_request(client, ada.email, ada.password, code), 401)
    assert "otp" in body["errors"]
    assert len(app_bank.store.sessions.tokens_of(ada.user_id)) == 1


@pytest.mark.parametrize("otp", [None, "", "000000", "12345", "abcde-fghjk", "' OR 1=1 --"])
def test_the_api_asks_for_the_second_factor(client, app_bank, otp):
    ada = new_customer(app_bank)
    enrol(app_bank, ada.user_id)
    response = token_request(client, ada.email, ada.password, otp)
    body = assert_problem(response, 401)
    assert "otp" in body["errors"]
    assert body["type"].endswith("/second-factor-required")
    assert app_bank.store.sessions.tokens_of(ada.user_id) == []


def test_a_recovery_code_works_once(app, client, app_bank):
    ada = new_customer(app_bank)
    _, codes = enrol(app_bank, ada.user_id)
    log_in(client, ada.email, ada.password)
    assert client.post("/login/code", data={"otp": codes[0]}).status_code == 302
    again = app.test_client()
    log_in(again, ada.email, ada.password)
    assert Page(again.post("/login/code", data={"otp": codes[0]})).status == 401
    assert_problem(token_request(client, ada.email, ada.password, codes[0]), 401)
    assert token_request(client, ada.email, ada.password, codes[1]).status_code == 201
    assert "recovery_code_used" in audit_actions(app_bank)


def test_wrong_codes_count_toward_the_lock(client, app_bank):
    ada = new_customer(app_bank)
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    log_in(client, ada.email, ada.password)
    for _ in range(5):
        client.post("/login/code", data={"otp": "000000"})
    page = Page(client.post("/login/code", data={"otp": totp(secret, app_bank)}))
    assert page.status == 429
    assert not signed_in_page(client)


# -- forced duties -------------------------------------------------------------------------


def test_a_one_time_password_must_be_changed_before_anything_else(client, app_bank):
    user_id, email, password = make_staff(app_bank, Role.FINANCIAL_MANAGER)
    response = log_in(client, email, password)
    assert response.location == "/profile/password"
    for path in ("/", "/profile", "/transfer", f"/accounts/{user_id}/history"):
        assert client.get(path).location == "/profile/password", path
    assert_problem(token_request(client, email, password), 403)
    response = client.post(
        "/profile/password",
        data={
            "old_password": password,
            "new_password": GOOD_PASSWORD,
            "confirm_password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    # next: staff must enrol in two-factor authentication
    assert client.get("/").location == "/profile/two-factor"


def test_staff_without_two_factor_must_enrol(client, app_bank):
    user_id, email, password = make_staff(app_bank, Role.ADMIN)
    customers.change_password(app_bank, user_id, old_password=password, new_password=GOOD_PASSWORD)
    assert log_in(client, email, GOOD_PASSWORD).location == "/profile/two-factor"
    for path in ("/", "/profile", "/accounts/new"):
        assert client.get(path).location == "/profile/two-factor", path
    page = Page(client.get("/profile/two-factor"))
    assert page.status == 200 and "Staff accounts must have" in page.text
    secret = page.find("code", class_="secret")[0].text.replace(" ", "")
    response = client.post("/profile/two-factor", data={"code": totp(secret, app_bank)})
    assert response.status_code == 200
    assert len(Page(response).find("li")) >= 10  # the recovery codes, shown once
    # Signed in: the staff home opens, and the customer pages send staff there.
    assert client.get("/staff").status_code == 200
    assert client.get("/").location == "/staff"
    # and staff cannot turn it off again
    response = client.post("/profile/two-factor/disable", data={"password": GOOD_PASSWORD})
    assert response.status_code == 403
    assert app_bank.store.users.get_user(user_id).has_two_factor


def test_logout_is_audited(client, app_bank):
    ada = new_customer(app_bank)
    log_in(client, ada.email, ada.password)
    client.post("/logout")
    assert audit_actions(app_bank).count("logout") == 1


def test_an_otp_sent_for_an_account_without_two_factor_is_ignored(client, app_bank):
    ada = new_customer(app_bank)
    assert token_request(client, ada.email, ada.password, "123456").status_code == 201


def test_the_openapi_document_describes_otp_and_429(client):
    document = client.get(f"{API}/openapi.json").json
    assert "otp" in document["components"]["schemas"]["Credentials"]["properties"]
    assert {"401", "403", "429"} <= set(document["paths"]["/tokens"]["post"]["responses"])
    assert "429" in document["paths"]["/transfers"]["post"]["responses"]
    assert "429" in document["paths"]["/users"]["post"]["responses"]


# -- the device a login came from ----------------------------------------------------------

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_a_login_names_its_device_so_that_monitoring_sees_a_new_one(app, app_bank):
    ada = new_customer(app_bank)
    for agent in (PHONE, PHONE, LAPTOP):
        browser = app.test_client()
        browser.environ_base["HTTP_USER_AGENT"] = agent
        assert log_in(browser, ada.email, ada.password).status_code == 302
    api = app.test_client()
    api.environ_base["HTTP_USER_AGENT"] = LAPTOP
    assert token_request(api, ada.email, ada.password).status_code == 201
    logins = [
        e.payload
        for e in app_bank.store.events.read(after=None, limit=500).events
        if e.kind is EventKind.LOGIN_SUCCEEDED and e.subject == ada.user_id
    ]
    phone, laptop = device_of(PHONE), device_of(LAPTOP)
    assert [p["device"] for p in logins] == [phone, phone, laptop, laptop]
    assert phone != laptop and len(phone) == len(laptop) == 3 + DEVICE_DIGITS
    assert all(p["ip"] == "127.0.0.1" for p in logins)  # the IP as before


def test_no_user_agent_is_no_device():
    assert device_of("") == ""
    assert device_of(PHONE) == device_of(PHONE) != device_of(PHONE + " ")
