"""Server-side sessions, as an attacker would try them: a stolen cookie after logout, an
idle or old session, a planted session id, a session left open elsewhere."""

from __future__ import annotations

from conftest import new_customer
from flaskbank.services import sessions
from test_api_support import API, assert_problem, customer
from test_security_support import (
    GOOD_PASSWORD,
    advance,
    audit_actions,
    log_in,
    make_app,
    session_cookie,
    signed_in_page,
    with_cookie,
)
from test_web_support import Page, balance


def test_the_cookie_holds_an_opaque_id_and_the_store_only_its_hash(client, app_bank):
    ada = new_customer(app_bank)
    response = log_in(client, ada.email, ada.password)
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    sid = session_cookie(client)
    assert sid and ada.user_id not in sid and "." not in sid  # not a signed payload
    assert app_bank.store.sessions.get_session(sid) is None
    stored = app_bank.store.sessions.get_session(sessions.hash_id(sid))
    assert stored is not None and stored.user_id == ada.user_id


def test_cookies_are_secure_when_configured(store, tmp_path):
    app = make_app(store, tmp_path, secure_cookies=True)
    ada = new_customer(app.extensions["flaskbank"])
    response = log_in(app.test_client(), ada.email, ada.password)
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert "Secure" in header and "HttpOnly" in header


def test_a_cookie_reused_after_logout_is_refused(app, client, app_bank):
    ada = new_customer(app_bank, deposit="50.00")
    log_in(client, ada.email, ada.password)
    stolen = session_cookie(client)
    assert stolen and signed_in_page(with_cookie(app, stolen))
    assert client.post("/logout").status_code == 302
    assert app_bank.store.sessions.get_session(sessions.hash_id(stolen)) is None  # gone at once
    thief = with_cookie(app, stolen)
    assert thief.get("/").status_code == 302
    response = thief.post(
        f"/accounts/{ada.account_id}/withdraw", data={"amount": "50.00", "token": "t"}
    )
    assert response.status_code == 302 and response.location.startswith("/login")
    assert balance(app_bank, ada) == "50.00"
    assert "logout" in audit_actions(app_bank)


def test_a_session_ends_after_the_idle_timeout(client, app_bank):
    ada = new_customer(app_bank)
    log_in(client, ada.email, ada.password)
    sid = session_cookie(client)
    advance(app_bank, minutes=14)
    assert signed_in_page(client)  # still inside the window (and that visit counts)
    advance(app_bank, minutes=14)
    assert signed_in_page(client)
    advance(app_bank, minutes=15, seconds=1)
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert app_bank.store.sessions.get_session(sessions.hash_id(sid)) is None


def test_a_busy_session_still_ends_at_its_absolute_lifetime(client, app_bank):
    ada = new_customer(app_bank)
    log_in(client, ada.email, ada.password)
    for _ in range(12 * 6):  # a page every ten minutes for twelve hours
        advance(app_bank, minutes=10)
        if not signed_in_page(client):
            break
    assert not signed_in_page(client)


def test_timeouts_follow_the_settings(store, tmp_path):
    app = make_app(store, tmp_path, session_idle_minutes=2, session_max_hours=1)
    bank = app.extensions["flaskbank"]
    assert bank.settings.sessions.idle.total_seconds() == 120
    assert bank.settings.sessions.absolute.total_seconds() == 3600
    ada = new_customer(bank)
    client = app.test_client()
    log_in(client, ada.email, ada.password)
    advance(bank, minutes=2, seconds=1)
    assert not signed_in_page(client)


def test_last_seen_is_written_at_most_once_a_minute(client, app_bank):
    ada = new_customer(app_bank)
    log_in(client, ada.email, ada.password)
    client.get("/")  # the first page stores the new session's CSRF token
    key = sessions.hash_id(session_cookie(client))
    first = app_bank.store.sessions.get_session(key).last_seen_at
    advance(app_bank, seconds=20)
    client.get("/")
    assert app_bank.store.sessions.get_session(key).last_seen_at == first
    advance(app_bank, seconds=50)
    client.get("/")
    assert app_bank.store.sessions.get_session(key).last_seen_at > first


def test_login_issues_a_new_session_id(store, tmp_path):
    """Session fixation: an id planted before login (here: a real anonymous session the
    attacker made) is not the one that gets signed in."""
    app = make_app(store, tmp_path, csrf=True)
    app_bank = app.extensions["flaskbank"]
    ada = new_customer(app_bank, deposit="20.00")
    attacker = app.test_client()
    attacker.get("/login")  # the CSRF token makes a stored anonymous session
    planted = session_cookie(attacker)
    assert planted
    victim = with_cookie(app, planted)
    token = Page(victim.get("/login")).value("csrf_token")
    assert log_in(victim, ada.email, ada.password, csrf_token=token).status_code == 302
    assert session_cookie(victim) != planted
    assert signed_in_page(victim)
    assert not signed_in_page(attacker)
    assert app_bank.store.sessions.get_session(sessions.hash_id(planted)) is None


def test_logging_in_again_also_issues_a_new_id(client, app_bank):
    ada = new_customer(app_bank)
    log_in(client, ada.email, ada.password)
    first = session_cookie(client)
    log_in(client, ada.email, ada.password)
    assert session_cookie(client) != first and signed_in_page(client)


def test_a_password_change_ends_the_other_sessions(app, client, app_bank):
    ada = new_customer(app_bank, deposit="30.00")
    elsewhere = app.test_client()
    log_in(elsewhere, ada.email, ada.password)
    log_in(client, ada.email, ada.password)
    before = session_cookie(client)
    response = client.post(
        "/profile/password",
        data={
            "old_password": ada.password,
            "new_password": GOOD_PASSWORD,
            "confirm_password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert session_cookie(client) != before  # this browser carries on, under a new id
    flashes = Page(client.get("/profile")).flashes
    assert "Your other sessions and your API tokens have ended." in flashes
    assert signed_in_page(client)
    assert not signed_in_page(elsewhere)
    assert not signed_in_page(with_cookie(app, before))
    assert "password_changed" in audit_actions(app_bank)
    assert balance(app_bank, ada) == "30.00"


def test_a_password_change_through_the_api_ends_browser_sessions(app, client, app_bank):
    alice = customer(client, app_bank)
    browser = app.test_client()
    log_in(browser, alice.email, alice.password)
    assert (
        alice.patch(
            "/me", {"old_password": alice.password, "new_password": GOOD_PASSWORD}
        ).status_code
        == 200
    )
    assert not signed_in_page(browser)


def test_a_signed_in_browser_cookie_does_not_open_the_api(app, client, app_bank):
    ada = new_customer(app_bank, deposit="10.00")
    log_in(client, ada.email, ada.password)
    assert signed_in_page(client)
    for response in (
        client.get(f"{API}/me"),
        client.get(f"{API}/accounts"),
        client.post(f"{API}/accounts/{ada.account_id}/withdrawals", json={"amount": "10.00"}),
    ):
        assert_problem(response, 401)
    assert balance(app_bank, ada) == "10.00"


def test_api_posts_need_no_csrf_token(store, tmp_path):
    app = make_app(store, tmp_path, csrf=True)
    client = app.test_client()
    alice = customer(client, app.extensions["flaskbank"])
    response = alice.post(f"/accounts/{alice.account_id}/deposits", {"amount": "5.00"})
    assert response.status_code == 201
    assert alice.balance() == "5.00"


def test_the_api_sets_no_session_cookie(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.get("/me")
    assert response.status_code == 200
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
