"""Helpers for the attacker's-view security tests (no tests here)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pyotp

from conftest import Customer, new_customer
from flaskbank.config import Config
from flaskbank.domain.accounts import Role
from flaskbank.passwords import FastHasher
from flaskbank.services import staff, two_factor
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank
from flaskbank.web import create_app
from test_web_support import Page

COOKIE = "session"
GOOD_PASSWORD = "a brand new secret phrase"


def make_app(
    store: Any, tmp_path: Any, *, csrf: bool = False, rate_limits: bool = False, **config: Any
) -> Any:
    """Like conftest's `app`, with CSRF and rate limiting chosen and Config fields set."""
    overrides: dict[str, Any] = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": csrf,
        "RATELIMIT_ENABLED": rate_limits,
    }
    application = create_app(
        Config(data_dir=tmp_path, secret_key=secrets.token_hex(32), **config),
        overrides=overrides,
        store=store,
        passwords=FastHasher(),
    )
    return application


def session_cookie(client: Any) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return None if cookie is None else str(cookie.value)


def with_cookie(app: Any, value: str) -> Any:
    """A fresh client (another machine) that sends `value` as its session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def log_in(client: Any, email: str, password: str, **extra: str) -> Any:
    return client.post("/login", data={"email": email, "password": password, **extra})


def signed_in_page(client: Any) -> bool:
    """Whether the dashboard opens (rather than redirecting to the login page)."""
    return bool(client.get("/").status_code == 200)


def advance(bank: Bank, **delta: float) -> None:
    """Move the bank's clock forward for the rest of the test."""
    moment = bank.clock() + timedelta(**delta)
    bank.clock = lambda: moment


def enrol(bank: Bank, user_id: str) -> tuple[str, list[str]]:
    """Turn on 2FA for a user through the service: (secret, recovery codes)."""
    user = bank.store.users.get_user(user_id)
    assert user is not None
    secret = two_factor.new_secret()
    codes = two_factor.confirm(bank, user, secret, pyotp.TOTP(secret).at(bank.clock()), "t")
    return secret, codes


def totp(secret: str, bank: Bank) -> str:
    return str(pyotp.TOTP(secret).at(bank.clock()))


def make_staff(bank: Bank, role: Role = Role.FRAUD_ANALYST) -> tuple[str, str, str]:
    """A staff user with a one-time password: (user id, email, password)."""
    email = f"{role.value}-{secrets.token_hex(3)}@bank.example"
    user, password = staff.create_staff(
        bank,
        email=email,
        full_name="Staff Member",
        role=role.value,
        actor=Actor(None, "cli", "local"),
    )
    return user.id, email, password


def audit_actions(bank: Bank) -> list[str]:
    return [e.action.value for e in bank.store.audit.audit_log(limit=200).items]


def customer_with(bank: Bank, name: str = "Ada Lovelace", deposit: str = "100.00") -> Customer:
    return new_customer(bank, name, deposit=deposit)


def page(response: Any) -> Page:
    return Page(response)
