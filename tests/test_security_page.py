"""The security page: the customer's own sessions with their device and "this device", and
"sign out everywhere else", which ends the others (audited) and keeps this one. On both
stores."""

from __future__ import annotations

from conftest import new_customer
from flaskbank.domain.security import AuditAction
from test_web_support import Page

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1"


def login(app, who, agent: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": who.email, "password": who.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 302
    return client


def test_the_page_lists_each_session_with_its_device_and_marks_this_one(app, app_bank):
    ada = new_customer(app_bank)
    laptop = login(app, ada, FIREFOX)
    login(app, ada, IPHONE)
    login(app, new_customer(app_bank, "Bob Brown"), IPHONE)  # somebody else's: not listed
    page = Page(laptop.get("/profile/security", headers={"User-Agent": FIREFOX}))
    assert page.status == 200
    rows = page.rows()
    assert [r["Device"] for r in rows] == ["Firefox on Linux (this device)", "Safari on iPhone"]
    assert all(r["Signed in"] and r["Last seen"] for r in rows)


def test_sign_out_everywhere_else_ends_the_others_and_keeps_this_one(app, app_bank):
    ada = new_customer(app_bank)
    laptop = login(app, ada, FIREFOX)
    phone = login(app, ada, IPHONE)
    done = laptop.post("/profile/security/sign-out-others", follow_redirects=True)
    page = Page(done)
    assert page.status == 200
    assert "signed out everywhere else (1 other session)" in " ".join(page.flashes)
    assert [r["Device"] for r in page.rows()] == ["Firefox on Linux (this device)"]
    assert phone.get("/profile").status_code == 302  # sent to the login page
    assert laptop.get("/profile").status_code == 200
    [entry] = app_bank.store.audit.audit_log(limit=5, action=AuditAction.SESSIONS_REVOKED).items
    assert (entry.actor_id, entry.target, entry.details) == (
        ada.user_id,
        ada.user_id,
        {"sessions": "1"},
    )


def test_the_security_page_needs_a_login(client):
    response = client.get("/profile/security")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/profile/security/sign-out-others").status_code == 302


def test_the_device_cookie_is_long_lived_and_http_only(app, app_bank):
    ada = new_customer(app_bank)
    client = app.test_client()
    response = client.post("/login", data={"email": ada.email, "password": ada.password})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("fb_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=63072000" in cookie
