"""Requests as an attacker sends them: forged forms, framing, floods, markup and SQL in
text fields, oversized bodies. Each is refused or made harmless, and changes nothing."""

from __future__ import annotations

import pytest
from flask import Response

from conftest import Customer, new_customer
from flaskbank.web.security import CSP, add_headers
from test_api_support import API, PROBLEM, assert_problem, customer
from test_security_support import (
    enrol,
    log_in,
    make_app,
    session_cookie,
    signed_in_page,
)
from test_web_support import PERSONAL, Page, balance, sign_in

CSRF_TEXT = "The form expired or was not sent from this site; reload the page and try again"


# -- CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(store, tmp_path):
    return make_app(store, tmp_path, csrf=True)


def _token(client, path: str) -> str:
    return Page(client.get(path)).value("csrf_token")


def test_a_form_post_without_the_csrf_token_is_refused(csrf_app):
    bank = csrf_app.extensions["flaskbank"]
    ada = new_customer(bank, deposit="40.00")
    client = csrf_app.test_client()
    log_in(client, ada.email, ada.password, csrf_token=_token(client, "/login"))
    form = Page(client.get(f"/accounts/{ada.account_id}/withdraw"))
    response = client.post(
        f"/accounts/{ada.account_id}/withdraw",
        data={"amount": "40.00", "token": form.value("token")},
    )
    page = Page(response)
    assert page.status == 400 and CSRF_TEXT in page.text
    assert balance(bank, ada) == "40.00"


def test_a_stale_csrf_token_is_refused(csrf_app):
    """A token rendered before the login (or one lifted from an old page) does not carry
    over into the signed-in session."""
    bank = csrf_app.extensions["flaskbank"]
    ada = new_customer(bank, deposit="40.00")
    client = csrf_app.test_client()
    stale = _token(client, "/login")
    log_in(client, ada.email, ada.password, csrf_token=stale)
    form = Page(client.get(f"/accounts/{ada.account_id}/withdraw"))
    assert form.value("csrf_token") != stale
    response = client.post(
        f"/accounts/{ada.account_id}/withdraw",
        data={"amount": "40.00", "token": form.value("token"), "csrf_token": stale},
    )
    assert response.status_code == 400 and CSRF_TEXT in Page(response).text
    profile = client.post(
        "/profile", data={"full_name": "Mallory", "email": ada.email, "csrf_token": stale}
    )
    assert profile.status_code == 400
    assert bank.store.users.get_user(ada.user_id).full_name == "Ada Lovelace"
    assert balance(bank, ada) == "40.00"


def test_logging_in_needs_the_csrf_token_too(csrf_app):
    bank = csrf_app.extensions["flaskbank"]
    ada = new_customer(bank)
    client = csrf_app.test_client()
    assert log_in(client, ada.email, ada.password).status_code == 400
    assert not signed_in_page(client)


# -- headers -------------------------------------------------------------------------------

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_csp_and_friends_on_pages_and_api_answers(client, app_bank):
    alice = customer(client, app_bank)
    responses = [
        client.get("/login"),
        client.get("/nope"),
        client.get(f"{API}/openapi.json"),
        alice.get("/me"),
        client.get(f"{API}/me"),
        client.post(f"{API}/tokens"),
        client.get("/static/style.css"),
    ]
    responses[-1].close()
    for response in responses:
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (response.request.path, name)
        assert "Strict-Transport-Security" not in response.headers
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP


def test_hsts_only_over_https(client):
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    api = client.get(f"{API}/openapi.json", base_url="https://localhost")
    assert "Strict-Transport-Security" in api.headers
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_header_a_view_sets_itself_is_kept_and_none_is_doubled(app):
    with app.test_request_context("/"):
        response = Response(headers={"content-security-policy": "default-src 'none'"})
        add_headers(add_headers(response))
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    for name, value in HEADERS.items():
        if name != "Content-Security-Policy":
            assert response.headers.getlist(name) == [value]


def test_a_forwarded_scheme_counts_only_behind_a_configured_proxy(store, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}
    trusting = make_app(store, tmp_path, proxy_hops=1).test_client()
    assert "Strict-Transport-Security" in trusting.get("/login", headers=forwarded).headers
    plain = make_app(store, tmp_path).test_client()
    assert "Strict-Transport-Security" not in plain.get("/login", headers=forwarded).headers


SECURITY_PAGES = ["/login", "/login/code", "/profile", "/profile/two-factor", "/profile/password"]


def test_security_pages_carry_no_inline_script_or_style(app, client, app_bank):
    ada = new_customer(app_bank)
    client.post(f"{API}/tokens", json={"email": ada.email, "password": ada.password})
    sign_in(client, ada)
    pages = [Page(client.get(path)) for path in SECURITY_PAGES if path != "/login/code"]
    other = app.test_client()
    bob = new_customer(app_bank, "Bob Builder")
    enrol(app_bank, bob.user_id)
    log_in(other, bob.email, bob.password)
    pages.append(Page(other.get("/login/code")))
    for page in pages:
        assert page.status == 200, page.response.request.path
        assert not page.find("style")
        assert all("src" in s.attrs for s in page.find("script"))
        for element in page.elements:
            assert "style" not in element.attrs, element
            assert not [a for a in element.attrs if a.startswith("on")], element
            src = element.attrs.get("src", "")
            assert not src or src.startswith(("/", "data:image/")), element


# -- rate limits ---------------------------------------------------------------------------


@pytest.fixture
def limited(store, tmp_path):
    return make_app(
        store,
        tmp_path,
        rate_limits=True,
        ratelimit_login="3/minute",
        ratelimit_registration="2/hour",
        ratelimit_tokens="2/minute",
        ratelimit_money="2/minute",
    )


def test_web_logins_are_rate_limited_per_address(limited):
    bank = limited.extensions["flaskbank"]
    ada = new_customer(bank)
    client = limited.test_client()
    for _ in range(3):
        client.get("/login")  # reading the form does not count
        assert log_in(client, "nobody@example.com", "x" * 10).status_code == 401
    page = Page(log_in(client, ada.email, ada.password))
    assert page.status == 429 and "Too many requests" in page.text
    assert int(page.response.headers["Retry-After"]) >= 1
    assert not signed_in_page(client)
    elsewhere = limited.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert log_in(elsewhere, ada.email, ada.password).status_code == 302


def test_api_tokens_are_rate_limited_with_a_problem(limited):
    bank = limited.extensions["flaskbank"]
    ada = new_customer(bank)
    client = limited.test_client()
    body = {"email": ada.email, "password": ada.password}
    assert [client.post(f"{API}/tokens", json=body).status_code for _ in range(2)] == [201, 201]
    response = client.post(f"{API}/tokens", json=body)
    assert_problem(response, 429)
    assert response.mimetype == PROBLEM and int(response.headers["Retry-After"]) >= 1
    assert len(bank.store.sessions.tokens_of(ada.user_id)) == 2


def test_registration_is_rate_limited_across_web_and_api(limited):
    bank = limited.extensions["flaskbank"]
    client = limited.test_client()
    users = bank.store.users.count_users()
    assert (
        client.post(
            "/register",
            data={
                "email": "a1@example.com",
                "full_name": "A One",
                "password": "a long enough password",
                **PERSONAL,
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{API}/users",
            json={
                "email": "a2@example.com",
                "full_name": "A Two",
                "password": "a long enough password",
                **PERSONAL,
            },
        ).status_code
        == 201
    )
    assert_problem(
        client.post(
            f"{API}/users",
            json={
                "email": "a3@example.com",
                "full_name": "A Three",
                "password": "a long enough password",
                **PERSONAL,
            },
        ),
        429,
    )
    assert (
        client.post(
            "/register",
            data={
                "email": "a4@example.com",
                "full_name": "A Four",
                "password": "a long enough password",
                **PERSONAL,
            },
        ).status_code
        == 429
    )
    assert bank.store.users.count_users() == users + 2


def test_money_movement_is_rate_limited_per_user(limited):
    bank = limited.extensions["flaskbank"]
    client = limited.test_client()
    alice = customer(client, bank, deposit="10.00")
    bob = customer(client, bank, "Bob Builder", deposit="10.00")
    for _ in range(2):
        assert (
            alice.post(f"/accounts/{alice.account_id}/withdrawals", {"amount": "1.00"}).status_code
            == 201
        )
    response = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "to_account_number": bob.account_number,
            "amount": "1.00",
        },
    )
    assert_problem(response, 429)
    assert (alice.balance(), bob.balance()) == ("8.00", "10.00")
    # the same address, another user: counted apart
    assert bob.post(f"/accounts/{bob.account_id}/deposits", {"amount": "1.00"}).status_code == 201
    # and the web forms count with the API for the same user
    browser = limited.test_client()
    sign_in(
        browser,
        Customer(
            alice.user_id, alice.email, alice.password, alice.account_id, alice.account_number
        ),
    )
    path = f"/accounts/{alice.account_id}/deposit"
    form = Page(browser.get(path))
    response = browser.post(path, data={"amount": "5.00", "token": form.value("token")})
    assert response.status_code == 429 and "Too many requests" in Page(response).text
    assert alice.balance() == "8.00"
    # a standing order moves money every month: setting one up counts too
    order = {
        "from_account_id": alice.account_id,
        "to_account_number": bob.account_number,
        "amount": "1.00",
        "day_of_month": "1",
    }
    assert_problem(alice.post("/standing-orders", order), 429)
    assert alice.get("/standing-orders").json["items"] == []


def test_rate_limits_are_off_in_the_test_app_by_default(client, app_bank):
    ada = new_customer(app_bank)
    for _ in range(15):
        log_in(client, "nobody@example.com", "x" * 10)
    assert (
        client.post(
            f"{API}/tokens", json={"email": ada.email, "password": ada.password}
        ).status_code
        == 201
    )


# -- markup and SQL in text fields ---------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_names_and_memos_is_shown_as_text(app, client, app_bank):
    ada = new_customer(app_bank, "Ada Lovelace", deposit="50.00")
    mallory = new_customer(app_bank, "Mallory Mallet")
    sign_in(client, ada)
    spy = sign_in(app.test_client(), mallory)
    assert spy.post("/profile", data={"full_name": XSS, "email": mallory.email}).status_code == 302
    token = Page(client.get("/transfer")).value("token")
    client.post(
        "/transfer",
        data={
            "from_account": ada.account_id,
            "amount": "1.00",
            "to_account_number": mallory.account_number,
            "memo": XSS,
            "token": token,
            "confirmed": "yes",  # as the review page sends it
        },
    )
    for html in (
        client.get("/").get_data(as_text=True),
        client.get(f"/accounts/{ada.account_id}/history").get_data(as_text=True),
        spy.get("/profile").get_data(as_text=True),
        spy.get("/").get_data(as_text=True),
    ):
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE users; --', "%", "_", "\\", "%' OR '1'='1"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_shaped_input_in_every_web_field_changes_nothing(client, app_bank, text):
    ada = new_customer(app_bank, deposit="25.00")
    bob = new_customer(app_bank, "Bob Builder", deposit="5.00")
    users = app_bank.store.users.count_users()
    answers = [
        log_in(client, text, text).status_code,
        log_in(client, text, ada.password).status_code,
        client.post(
            "/register",
            data={
                "email": text,
                "full_name": "X Y",
                "password": "a long enough password",
                **PERSONAL,
            },
        ).status_code,
    ]
    assert answers == [401, 401, 422]
    assert app_bank.store.users.count_users() == users
    sign_in(client, ada)
    token = Page(client.get("/transfer")).value("token")
    for recipient in ({"to_email": text}, {"to_account_number": text}):
        page = Page(
            client.post(
                "/transfer",
                data={
                    "from_account": ada.account_id,
                    "amount": "1.00",
                    "token": token,
                    **recipient,
                },
            )
        )
        assert page.status == 422
        token = page.value("token")  # a refused form comes back with a new token
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("25.00", "5.00")
    token = Page(client.get(f"/accounts/{ada.account_id}/deposit")).value("token")
    assert (
        client.post(
            f"/accounts/{ada.account_id}/deposit",
            data={"amount": "1.00", "memo": text, "token": token},
        ).status_code
        == 302
    )
    assert balance(app_bank, ada) == "26.00"
    assert text in Page(client.get(f"/accounts/{ada.account_id}/history")).text
    response = client.post("/profile", data={"full_name": text, "email": ada.email})
    assert response.status_code in (302, 422)
    assert app_bank.store.users.get_user(bob.user_id).full_name == "Bob Builder"
    assert app_bank.store.users.count_users() == users
    assert app_bank.store.users.find_user_by_email("%") is None


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_shaped_input_in_every_api_field_changes_nothing(client, app_bank, text):
    alice = customer(client, app_bank, deposit="25.00")
    bob = customer(client, app_bank, "Bob Builder", deposit="5.00")
    users = app_bank.store.users.count_users()
    assert_problem(
        client.post(
            f"{API}/users",
            json={"email": text, "full_name": text, "password": "a long enough password"},
        ),
        422,
    )
    assert_problem(client.post(f"{API}/tokens", json={"email": text, "password": text}), 401)
    assert_problem(client.post(f"{API}/tokens", json={"email": alice.email, "password": text}), 401)
    for recipient in ({"to_email": text}, {"to_account_number": text}):
        assert_problem(
            alice.post(
                "/transfers", {"from_account_id": alice.account_id, "amount": "1.00", **recipient}
            ),
            422,
        )
    assert alice.get(f"/accounts/{text}").status_code in (404, 405)
    posted = alice.post(f"/accounts/{alice.account_id}/deposits", {"amount": "1.00", "memo": text})
    assert posted.status_code == 201 and posted.json["memo"] == text
    assert alice.patch("/me", {"full_name": text}).status_code in (200, 422)
    assert (alice.balance(), bob.balance()) == ("26.00", "5.00")
    assert app_bank.store.users.count_users() == users
    assert alice.get("/me").json["email"] == alice.email


# -- oversized bodies ----------------------------------------------------------------------

BIG = "x" * (65 * 1024)


def test_an_oversized_form_is_a_413_and_posts_nothing(client, app_bank):
    ada = new_customer(app_bank, deposit="10.00")
    sign_in(client, ada)
    token = Page(client.get(f"/accounts/{ada.account_id}/deposit")).value("token")
    response = client.post(
        f"/accounts/{ada.account_id}/deposit", data={"amount": "1.00", "memo": BIG, "token": token}
    )
    assert response.status_code == 413
    users = app_bank.store.users.count_users()
    assert (
        client.post(
            "/register",
            data={
                "email": "big@example.com",
                "full_name": BIG,
                "password": "a long enough password",
                **PERSONAL,
            },
        ).status_code
        == 413
    )
    assert (balance(app_bank, ada), app_bank.store.users.count_users()) == ("10.00", users)


def test_an_oversized_api_body_is_a_413_problem(client, app_bank):
    alice = customer(client, app_bank, deposit="10.00")
    response = alice.post(
        f"/accounts/{alice.account_id}/withdrawals", {"amount": "1.00", "memo": BIG}
    )
    assert_problem(response, 413)
    assert_problem(client.post(f"{API}/tokens", json={"email": BIG, "password": BIG}), 413)
    assert alice.balance() == "10.00"


def test_the_session_cookie_survives_none_of_this(client, app_bank):
    """A refused request leaves the signed-in session as it was."""
    ada = new_customer(app_bank)
    sign_in(client, ada)
    before = session_cookie(client)
    client.post("/profile", data={"full_name": BIG, "email": ada.email})
    assert session_cookie(client) == before and signed_in_page(client)
