"""With CSRF protection on, as in production: a form post needs the token from the page."""

from __future__ import annotations

import contextlib
import secrets

import pytest

from conftest import new_customer
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.web import create_app
from test_web_support import PERSONAL, Page, balance


@pytest.fixture
def csrf_app(store, tmp_path):
    """Like conftest's `app`, but with Flask-WTF's CSRF check left on."""
    config = Config(data_dir=tmp_path, secret_key=secrets.token_hex(32))
    application = create_app(
        config, overrides={"TESTING": True}, store=store, passwords=FastHasher()
    )
    yield application
    with contextlib.suppress(Exception):
        application.extensions["flaskbank"].store.close()


@pytest.fixture
def csrf_bank(csrf_app):
    return csrf_app.extensions["flaskbank"]


def _csrf(client, path: str) -> str:
    page = Page(client.get(path))
    assert page.status == 200
    return page.value("csrf_token")


REGISTRATION = {
    "email": "grace@example.com",
    "full_name": "Grace Hopper",
    "password": "a long enough password",
    **PERSONAL,
}


@pytest.mark.parametrize("token", [None, "", "bogus", "ImFiYyI.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"])
def test_a_post_without_a_good_token_is_refused(csrf_app, csrf_bank, token):
    client = csrf_app.test_client()
    _csrf(client, "/register")  # the session has a real token; the post does not carry it
    data = dict(REGISTRATION) if token is None else {**REGISTRATION, "csrf_token": token}
    response = client.post("/register", data=data)
    assert response.status_code == 400
    text = Page(response).text
    assert "Bad request" in text
    assert "The form expired or was not sent from this site; reload the page and try again" in text
    assert csrf_bank.store.users.find_user_by_email("grace@example.com") is None


def test_a_post_with_the_rendered_token_works(csrf_app, csrf_bank):
    client = csrf_app.test_client()
    token = _csrf(client, "/register")
    response = client.post("/register", data={**REGISTRATION, "csrf_token": token})
    assert response.status_code == 302
    assert csrf_bank.store.users.find_user_by_email("grace@example.com") is not None


def test_a_token_from_another_session_is_refused(csrf_app, csrf_bank):
    stolen = _csrf(csrf_app.test_client(), "/register")
    victim = csrf_app.test_client()
    _csrf(victim, "/register")
    response = victim.post("/register", data={**REGISTRATION, "csrf_token": stolen})
    assert response.status_code == 400
    assert csrf_bank.store.users.find_user_by_email("grace@example.com") is None


def test_money_moves_only_with_the_token(csrf_app, csrf_bank):
    ada = new_customer(csrf_bank, deposit="10.00")
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={"email": ada.email, "password": ada.password, "csrf_token": _csrf(client, "/login")},
    )
    path = f"/accounts/{ada.account_id}/deposit"
    page = Page(client.get(path))
    form = {"amount": "5.00", "token": page.value("token")}
    assert client.post(path, data=form).status_code == 400
    assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 400
    assert balance(csrf_bank, ada) == "10.00"
    response = client.post(path, data={**form, "csrf_token": page.value("csrf_token")})
    assert response.status_code == 302
    assert balance(csrf_bank, ada) == "15.00"


def test_logging_out_needs_the_token(csrf_app, csrf_bank):
    ada = new_customer(csrf_bank)
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={"email": ada.email, "password": ada.password, "csrf_token": _csrf(client, "/login")},
    )
    page = Page(client.get("/"))
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    [logout] = page.find("form", action="/logout")
    token = [e for e in page.find("input", name="csrf_token")][0].attrs["value"]
    assert logout.attrs["method"] == "post"
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
