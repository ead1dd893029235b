"""Registering, logging in and out in the browser."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.services import customers
from test_web_support import PERSONAL, Page, sign_in

GOOD = {
    "email": "grace@example.com",
    "full_name": "Grace Hopper",
    "password": "a long enough password",
    **PERSONAL,
}


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/")
    page = Page(client.get(response.location))
    assert page.status == 200
    assert page.find("input", name="email") and page.find("input", name="password")


@pytest.mark.parametrize(
    "path, back_to",
    [
        ("/accounts/new", "/accounts/new"),
        ("/transfer?from=x&y=1", "/transfer?from=x&y=1"),
    ],
)
def test_login_returns_to_the_page_asked_for_with_its_query(client, path, back_to):
    from urllib.parse import parse_qs, urlsplit

    response = client.get(path)
    assert parse_qs(urlsplit(response.location).query)["next"] == [back_to]


def test_register_signs_the_customer_in(client, app_bank):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 302 and response.location == "/"
    page = Page(client.get("/"))
    assert page.status == 200
    assert "Hello, Grace Hopper" in page.text
    assert any("Welcome, Grace Hopper" in f for f in page.flashes)
    user = app_bank.store.users.find_user_by_email("grace@example.com")
    assert user is not None and user.full_name == "Grace Hopper"
    assert user.password_hash != GOOD["password"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "@"),
        ({"email": ""}, "email", "enter your email address"),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"password": ""}, "password", "at least 10 characters"),
        ({"password": "password123"}, "password", "too easy to guess"),
        ({"email": "\u0430da@example.com"}, "email", "plain Latin letters"),  # a Cyrillic а
        ({"full_name": "Grace \u202eHopper"}, "full_name", "invisible characters"),
        ({"full_name": "   "}, "full_name", "enter your full name"),
        ({"full_name": "x" * 101}, "full_name", "at most 100 characters"),
        ({"email": "taken@example.com"}, "email", "already registered"),
        ({"email": "TAKEN@example.com"}, "email", "already registered"),
        ({"email": "\uff54aken@example.com"}, "email", "already registered"),  # fullwidth ｔ
    ],
)
def test_register_refusals_keep_what_was_typed(client, app_bank, changes, field, message):
    customers.register(
        app_bank,
        email="taken@example.com",
        full_name="First Comer",
        password="first comer's password",
    )
    before = app_bank.store.users.count_users()
    page = Page(client.post("/register", data={**GOOD, **changes}))
    assert page.status == 422
    assert message in page.error(field)
    assert page.by_id(field).attrs["aria-describedby"].split()[-1] == f"{field}-error"
    assert page.by_id(field).attrs["aria-invalid"] == "true"
    # What was typed is kept, except the password, which is never sent back.
    for name in ("email", "full_name"):
        assert page.value(name) == {**GOOD, **changes}[name]
    assert page.value("password") == ""
    assert app_bank.store.users.count_users() == before


def test_login_and_logout(client, app_bank):
    ada = new_customer(app_bank)
    response = client.post("/login", data={"email": ada.email, "password": ada.password})
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # logging out is a POST with a token
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert "You have logged out." in Page(client.get("/login")).flashes
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("password", ["wrong password!", ""])
def test_wrong_credentials_are_refused(client, app_bank, password):
    ada = new_customer(app_bank)
    page = Page(client.post("/login", data={"email": ada.email, "password": password}))
    assert page.status == 401
    assert page.form_errors == ["wrong email or password"]
    assert page.value("email") == ada.email
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_answer(client):
    page = Page(
        client.post("/login", data={"email": "nobody@example.com", "password": "whatever it is"})
    )
    assert (page.status, page.form_errors) == (401, ["wrong email or password"])


def test_login_returns_to_a_local_next(client, app_bank):
    ada = new_customer(app_bank)
    login = client.get(f"/accounts/{ada.account_id}/history?type=deposit")
    assert login.status_code == 302
    page = Page(client.get(login.location))
    action = page.find("form", method="post")[0].attrs["action"]
    response = client.post(action, data={"email": ada.email, "password": ada.password})
    assert response.status_code == 302
    assert response.location == f"/accounts/{ada.account_id}/history?type=deposit"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        " //evil.example",
        "https:evil.example",
    ],
)
def test_login_refuses_an_open_redirect(client, app_bank, target):
    ada = new_customer(app_bank)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": ada.email, "password": ada.password}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_signing_in_replaces_the_session(client, app_bank):
    ada, bob = new_customer(app_bank), new_customer(app_bank, "Bob Builder")
    sign_in(client, ada)
    sign_in(client, bob)
    assert "Hello, Bob Builder" in Page(client.get("/")).text
