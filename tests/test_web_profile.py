"""The profile page: name and email, and a password change that asks for the old one."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.services import customers
from test_web_support import Page, customer_client, sign_in

XSS = "<script>alert(1)</script>"


def test_profile_shows_name_and_email(app, app_bank):
    ada, client = customer_client(app, app_bank)
    page = Page(client.get("/profile"))
    assert page.status == 200
    assert page.value("full_name") == "Ada Lovelace"
    assert page.value("email") == ada.email


def test_edit_name_and_email(app, app_bank):
    ada, client = customer_client(app, app_bank)
    response = client.post(
        "/profile",
        data={
            "full_name": "Augusta  Ada King",
            "email": "countess@example.com",
            "old_password": ada.password,
        },
    )
    assert response.status_code == 302 and response.location == "/profile"
    page = Page(client.get("/profile"))
    assert "Your profile is saved." in page.flashes
    assert (page.value("full_name"), page.value("email")) == (
        "Augusta Ada King",
        "countess@example.com",
    )
    user = customers.get_user(app_bank, ada.user_id)
    assert (user.full_name, user.email) == ("Augusta Ada King", "countess@example.com")
    # The new email signs in; the old one no longer does.
    assert (
        app.test_client()
        .post("/login", data={"email": "countess@example.com", "password": ada.password})
        .status_code
        == 302
    )
    assert (
        app.test_client()
        .post("/login", data={"email": ada.email, "password": ada.password})
        .status_code
        == 401
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "enter your full name"),
        ({"email": "nope"}, "email", "@"),
        ({"email": "taken@example.com"}, "email", "already registered"),
    ],
)
def test_profile_refusals(app, app_bank, data, field, message):
    customers.register(
        app_bank,
        email="taken@example.com",
        full_name="Someone Else",
        password="someone else's password",
    )
    ada, client = customer_client(app, app_bank)
    typed = {"full_name": "Ada Lovelace", "email": ada.email, "old_password": ada.password, **data}
    page = Page(client.post("/profile", data=typed))
    assert page.status == 422
    assert message in page.error(field)
    assert page.value(field) == typed[field]
    user = customers.get_user(app_bank, ada.user_id)
    assert (user.full_name, user.email) == ("Ada Lovelace", ada.email)


def test_a_name_with_markup_is_shown_as_text(app, app_bank):
    ada, client = customer_client(app, app_bank, name=f"Mallory {XSS}")
    for path in ("/", "/profile"):
        html = client.get(path).get_data(as_text=True)
        assert XSS not in html
        assert "Mallory &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_change_password(app, app_bank):
    ada, client = customer_client(app, app_bank)
    response = client.post(
        "/profile/password",
        data={
            "old_password": ada.password,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        },
    )
    assert response.status_code == 302 and response.location == "/profile"
    assert "Your password is changed." in Page(client.get("/profile")).flashes
    ada.password = "a brand new secret"
    sign_in(app.test_client(), ada)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"old_password": "not my password"}, "old_password", "not your current password"),
        ({"old_password": ""}, "old_password", "enter your current password"),
        (
            {"new_password": "short", "confirm_password": "short"},
            "new_password",
            "at least 10 characters",
        ),
        ({"confirm_password": "a different one"}, "confirm_password", "differ"),
    ],
)
def test_password_change_refusals(app, app_bank, data, field, message):
    ada, client = customer_client(app, app_bank)
    typed = {
        "old_password": ada.password,
        "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
        **data,
    }
    page = Page(client.post("/profile/password", data=typed))
    assert page.status == 422
    assert message in page.error(field)
    assert all(page.value(name) == "" for name in typed)  # passwords are never echoed
    sign_in(app.test_client(), ada)  # the old password still works


def test_profile_needs_a_login(client, app_bank):
    new_customer(app_bank)
    for path in ("/profile", "/profile/password"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login?next=")
