"""Issue 8's security defects, from outside (HTTP), on every store: a session that must stay
ended, tokens that must end with a role change, and a current password that cannot be
guessed through the profile. Races are forced: the racing request runs inside the other."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.ledger import utc_iso
from flaskbank.domain.security import ApiToken, AuditAction
from flaskbank.services import customers, staff, tokens
from test_api_support import API, assert_problem, customer
from test_security_support import make_app, session_cookie, with_cookie
from test_staff_support import CLI, make_staff
from test_web_support import sign_in

NEW_PASSWORD = "a fresh and unguessable phrase"


def racing_route(app: Any, racer: list[Any]) -> None:
    """POST /test/in-flight: a request that writes to its session and, while it is still
    being handled, lets `racer[0]()` run (another request, an admin's action)."""
    from flask import session

    def in_flight() -> str:
        session["seen"] = secrets.token_hex(4)  # so the session is written back at the end
        racer[0]()
        return "done"

    app.add_url_rule("/test/in-flight", "test_in_flight", in_flight, methods=["POST"])


def _end_by(how: str, app: Any, bank: Any, who: Any, owner: Any) -> Any:
    if how == "logout":
        return lambda: owner.post("/logout")
    if how == "password change":
        return lambda: customers.change_password(
            bank, who.user_id, old_password=who.password, new_password=NEW_PASSWORD
        )
    admin = make_staff(bank, Role.ADMIN)
    if how == "role change":
        return lambda: staff.change_role(bank, admin, who.user_id, "financial_manager", CLI)
    return lambda: staff.revoke_sessions(bank, admin, who.user_id, CLI)


@pytest.mark.parametrize("how", ["logout", "password change", "role change", "end sessions"])
def test_a_stolen_session_in_flight_does_not_outlive_its_end(store, tmp_path, how):
    app = make_app(store, tmp_path)
    racer: list[Any] = []
    racing_route(app, racer)
    bank = app.extensions["flaskbank"]
    ada = new_customer(bank)
    owner = sign_in(app.test_client(), ada)
    copied = session_cookie(owner)
    stolen = with_cookie(app, copied)
    assert stolen.get("/").status_code == 200  # the thief is in
    racer.append(_end_by(how, app, bank, ada, owner))
    assert stolen.post("/test/in-flight").status_code == 200
    # The request in flight did not write the ended session back...
    assert bank.store.sessions.get_session(hashlib.sha256(copied.encode()).hexdigest()) is None
    # ...so the copied cookie opens nothing any more.
    response = with_cookie(app, copied).get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_a_customer_promoted_to_staff_keeps_no_token(client, app_bank):
    admin = make_staff(app_bank, Role.ADMIN)
    ada = customer(client, app_bank)
    victim = new_customer(app_bank, "Bob Babbage")
    staff.change_role(app_bank, admin, ada.user_id, "fraud_analyst", CLI)
    assert ada.get("/me").status_code == 401
    freeze = client.post(
        f"{API}/staff/accounts/{victim.account_id}/freeze",
        json={"reason": "x"},
        headers={"Authorization": f"Bearer {ada.token}"},
    )
    assert freeze.status_code == 401
    assert app_bank.store.ledger.get_account(victim.account_id).is_open


def test_the_staff_api_refuses_a_staff_token_without_two_factor(client, app_bank):
    analyst = make_staff(app_bank, Role.FRAUD_ANALYST, ready=False)
    victim = new_customer(app_bank, "Bob Babbage")
    token = secrets.token_urlsafe(32)  # however such a token came to be
    expires = utc_iso(app_bank.clock() + timedelta(hours=1))
    app_bank.store.sessions.add_token(
        ApiToken(
            hashlib.sha256(token.encode()).hexdigest(),
            analyst.id,
            app_bank.now(),
            expires,
            stamp=analyst.security_stamp,
        )
    )
    response = client.post(
        f"{API}/staff/accounts/{victim.account_id}/freeze",
        json={"reason": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert app_bank.store.ledger.get_account(victim.account_id).is_open


def _reauth_failures(bank: Any, user_id: str) -> int:
    return sum(
        1
        for e in bank.store.audit.audit_log(limit=100).items
        if e.action is AuditAction.REAUTH_FAILED and e.target == user_id
    )


def test_guessing_the_password_through_patch_me_locks_like_a_login(client, app_bank):
    alice = customer(client, app_bank)
    for _ in range(5):
        wrong = alice.patch(
            "/me", {"old_password": "not my password at all", "new_password": NEW_PASSWORD}
        )
        assert_problem(wrong, 422, "old_password")
    assert _reauth_failures(app_bank, alice.user_id) == 5
    right = alice.patch("/me", {"old_password": alice.password, "new_password": NEW_PASSWORD})
    assert right.status_code == 429  # locked, like the login it is
    login = client.post(f"{API}/tokens", json={"email": alice.email, "password": alice.password})
    assert login.status_code == 429
    assert customers.authenticate(app_bank, email=alice.email, password=alice.password)


def test_patch_me_is_rate_limited_with_logins(store, tmp_path):
    app = make_app(store, tmp_path, rate_limits=True, ratelimit_login="3/minute")
    client = app.test_client()
    alice = customer(client, app.extensions["flaskbank"])
    answers = [
        alice.patch(
            "/me", {"old_password": f"guess number {n}", "new_password": NEW_PASSWORD}
        ).status_code
        for n in range(4)
    ]
    assert answers == [422, 422, 422, 429]


def test_an_email_change_needs_the_password_and_ends_other_tokens(client, app_bank):
    alice = customer(client, app_bank)
    other, _ = tokens.issue_token(app_bank, email=alice.email, password=alice.password)
    missing = assert_problem(
        alice.patch("/me", {"email": "alice.new@example.com"}), 422, "old_password"
    )
    assert "enter your current password" in missing["errors"]["old_password"]
    assert _reauth_failures(app_bank, alice.user_id) == 0  # nothing typed is no guess
    assert app_bank.store.users.get_user(alice.user_id).email == alice.email
    done = alice.patch("/me", {"email": "alice.new@example.com", "old_password": alice.password})
    assert done.status_code == 200 and done.json["email"] == "alice.new@example.com"
    assert tokens.user_for_token(app_bank, other) is None
    assert alice.get("/me").status_code == 401  # this one too: the client signs in again
    changed = [
        e
        for e in app_bank.store.audit.audit_log(limit=50).items
        if e.action is AuditAction.EMAIL_CHANGED
    ]
    assert [(e.target, e.details["new"]) for e in changed] == [
        (alice.user_id, "alice.new@example.com")
    ]


def test_an_email_change_with_two_factor_needs_the_code(client, app_bank):
    import pyotp

    from flaskbank.services import two_factor

    alice = customer(client, app_bank)
    user = app_bank.store.users.get_user(alice.user_id)
    secret = two_factor.new_secret()
    two_factor.confirm(app_bank, user, secret, pyotp.TOTP(secret).now(), "")
    body = {"email": "alice.new@example.com", "old_password": alice.password}
    token, _ = tokens.issue_token(
        app_bank,
        email=alice.email,
        password=alice.password,
        otp=two_factor.new_recovery_codes()[0]
        if False
        else pyotp.TOTP(secret).at(app_bank.clock() + timedelta(seconds=30)),
    )
    api = type(alice)(
        client,
        app_bank,
        token,
        alice.user_id,
        alice.email,
        alice.password,
        alice.account_id,
        alice.account_number,
    )
    assert_problem(api.patch("/me", body), 401, "otp")
    assert app_bank.store.users.get_user(alice.user_id).email == alice.email


def test_the_web_profile_needs_the_password_for_a_new_email(app, app_bank):
    ada = new_customer(app_bank)
    browser = sign_in(app.test_client(), ada)
    other = sign_in(app.test_client(), ada)
    refused = browser.post(
        "/profile", data={"full_name": "Ada Lovelace", "email": "countess@example.com"}
    )
    assert refused.status_code == 422
    assert app_bank.store.users.get_user(ada.user_id).email == ada.email
    done = browser.post(
        "/profile",
        data={
            "full_name": "Ada Lovelace",
            "email": "countess@example.com",
            "old_password": ada.password,
        },
    )
    assert done.status_code == 302
    assert browser.get("/").status_code == 200  # this browser carries on
    assert other.get("/").status_code == 302  # the other session has ended


def test_the_web_password_forms_share_the_login_limit(store, tmp_path):
    app = make_app(store, tmp_path, rate_limits=True, ratelimit_login="3/minute")
    bank = app.extensions["flaskbank"]
    ada = new_customer(bank)
    browser = app.test_client()
    browser.post("/login", data={"email": ada.email, "password": ada.password})  # 1 of 3
    wrong = {
        "old_password": "not my password",
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    answers = [
        browser.post("/profile/password", data=wrong).status_code,
        browser.post(
            "/profile",
            data={
                "full_name": "Ada Lovelace",
                "email": "elsewhere@example.com",
                "old_password": "still not it",
            },
        ).status_code,
        browser.post("/profile/password", data=wrong).status_code,
    ]
    assert answers == [422, 422, 429]
    assert _reauth_failures(bank, ada.user_id) == 2
