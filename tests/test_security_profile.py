"""The profile's security pages: two-factor enrolment and turning it off, and the list of
API tokens with their revocation; each refusal changes nothing."""

from __future__ import annotations

from conftest import new_customer
from test_api_support import API, assert_problem
from test_security_support import (
    audit_actions,
    enrol,
    log_in,
    signed_in_page,
    totp,
)
from test_web_support import Page, sign_in


def _secret(page: Page) -> str:
    return page.find("code", class_="secret")[0].text.replace(" ", "")


def test_enrolment_shows_a_qr_code_and_the_key(client, app_bank):
    ada = new_customer(app_bank)
    sign_in(client, ada)
    page = Page(client.get("/profile/two-factor"))
    assert page.status == 200
    [img] = page.find("img", class_="qr")
    assert img.attrs["src"].startswith("data:image/svg+xml") and img.attrs["alt"]
    secret = _secret(page)
    assert len(secret) >= 16
    assert _secret(Page(client.get("/profile/two-factor"))) == secret  # stable on reload
    assert not app_bank.store.users.get_user(ada.user_id).has_two_factor


def test_enrolment_needs_a_matching_code(client, app_bank):
    ada = new_customer(app_bank)
    sign_in(client, ada)
    Page(client.get("/profile/two-factor"))
    page = Page(client.post("/profile/two-factor", data={"code": "000000"}))
    assert page.status == 422 and "does not match" in page.error("code")
    assert not app_bank.store.users.get_user(ada.user_id).has_two_factor


def test_enrolment_then_login_asks_for_the_code(app, client, app_bank):
    ada = new_customer(app_bank)
    sign_in(client, ada)
    secret = _secret(Page(client.get("/profile/two-factor")))
    page = Page(client.post("/profile/two-factor", data={"code": totp(secret, app_bank)}))
    assert page.status == 200
    codes = [e.text for e in page.find("code")]
    assert len(codes) == 10
    user = app_bank.store.users.get_user(ada.user_id)
    assert user.has_two_factor and all(c not in str(user) for c in codes)
    assert "two_factor_enabled" in audit_actions(app_bank)
    assert "on" in Page(client.get("/profile")).text
    other = app.test_client()
    assert log_in(other, ada.email, ada.password).location == "/login/code"
    assert other.post("/login/code", data={"otp": codes[0]}).status_code == 302
    assert signed_in_page(other)


def test_turning_it_off_needs_the_password(client, app_bank):
    ada = new_customer(app_bank)
    _, codes = enrol(app_bank, ada.user_id)
    log_in(client, ada.email, ada.password)
    assert client.post("/login/code", data={"otp": codes[0]}).status_code == 302
    page = Page(client.post("/profile/two-factor/disable", data={"password": "wrong one!"}))
    assert page.status == 422 and "not your current password" in page.error("password")
    assert app_bank.store.users.get_user(ada.user_id).has_two_factor
    response = client.post("/profile/two-factor/disable", data={"password": ada.password})
    assert response.status_code == 302
    assert not app_bank.store.users.get_user(ada.user_id).has_two_factor
    assert "two_factor_disabled" in audit_actions(app_bank)


def test_the_profile_lists_api_tokens_and_revokes_them(client, app_bank):
    ada = new_customer(app_bank)
    body = {"email": ada.email, "password": ada.password}
    first, second = (client.post(f"{API}/tokens", json=body).json["token"] for _ in range(2))
    sign_in(client, ada)
    page = Page(client.get("/profile/api"))
    rows = page.rows()
    assert len(rows) == 2 and {r["State"] for r in rows} == {"active"}
    short_ids = [r["Token"] for r in rows]
    assert all(len(i) == 12 for i in short_ids)
    assert first not in page.html and second not in page.html
    [form] = page.find("form", action=f"/profile/tokens/{short_ids[0]}/revoke")
    assert client.post(form.attrs["action"]).status_code == 302
    states = sorted(r["State"] for r in Page(client.get("/profile/api")).rows())
    assert states == ["active", "revoked"]
    answers = [
        client.get(f"{API}/me", headers={"Authorization": f"Bearer {t}"}).status_code
        for t in (first, second)
    ]
    assert sorted(answers) == [200, 401]
    assert "token_revoked" in audit_actions(app_bank)


def test_nobody_revokes_another_customers_token(app, client, app_bank):
    ada, eve = new_customer(app_bank), new_customer(app_bank, "Eve Spy")
    token = client.post(f"{API}/tokens", json={"email": ada.email, "password": ada.password}).json[
        "token"
    ]
    sign_in(client, ada)
    [short_id] = [r["Token"] for r in Page(client.get("/profile/api")).rows()]
    spy = sign_in(app.test_client(), eve)
    assert spy.post(f"/profile/tokens/{short_id}/revoke").status_code == 404
    assert spy.post(f"/profile/tokens/{short_id[:6]}/revoke").status_code == 404
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert_problem(client.get(f"{API}/me", headers={"Authorization": "Bearer " + short_id}), 401)
