"""Helpers for the staff-area tests (no tests here): the app with the staff blueprints, staff
users, and test clients signed in as them.

Staff are signed in through a test-only route that calls web.context.sign_in, so the test does
not depend on how the login form treats staff (one-time passwords, two-factor): the session is
whatever sign_in makes it, cookie or server-side.
"""

from __future__ import annotations

import secrets
from typing import Any

import pyotp

from conftest import Customer, new_customer
from flaskbank.domain.accounts import Role, User
from flaskbank.services import customers, staff
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank

CLI = Actor(None, "cli", "local")
IP = "198.51.100.23"
SIGN_IN = "/_test/sign-in/"


def with_staff(app: Any) -> Any:
    """`app` (which create_app gives the staff blueprints) with a test-only route that signs a
    user in by id."""
    from flask_wtf.csrf import CSRFProtect

    from flaskbank.web import context

    def sign_in(user_id: str) -> str:
        user = customers.get_user(context.bank(), user_id)
        assert user is not None
        context.sign_in(user)
        return "signed in"

    app.add_url_rule(SIGN_IN + "<user_id>", "test_sign_in", sign_in, methods=["POST"])
    csrf = app.extensions.get("csrf")
    if isinstance(csrf, CSRFProtect):
        csrf.exempt(sign_in)
    return app


def make_staff(
    bank: Bank, role: Role | str, *, name: str | None = None, ready: bool = True
) -> User:
    """A staff user; `ready` means past the first login: own password, two-factor on."""
    role = Role(role)
    tag = secrets.token_hex(3)
    user, _ = staff.create_staff(
        bank,
        email=f"{role.value}-{tag}@bank.example",
        full_name=name or f"{role.value.replace('_', ' ').title()} {tag}",
        role=role.value,
        actor=CLI,
    )
    if ready:
        user = enrolled(bank, user)
    return user


def enrolled(bank: Bank, user: User) -> User:
    """The staff user past the first login: own password, two-factor on."""
    return bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={
            "must_change_password": False,
            "totp_secret": pyotp.random_base32(),
            "totp_last_step": 0,
            "recovery_codes": (),
        },
    )


def staff_token(bank: Bank, role: Role | str, email: str | None = None) -> tuple[User, str]:
    """A staff user past the first login, enrolled in two-factor (staff get no token
    without it), and an API token of theirs issued through the service with a code, as a
    client would get one."""
    from flaskbank.services import tokens

    role = Role(role)
    email = email or f"{role.value}-{secrets.token_hex(3)}@bank.example"
    user, password = staff.create_staff(
        bank, email=email, full_name=role.value, role=role.value, actor=CLI
    )
    user = enrolled(bank, user)
    code = pyotp.TOTP(user.totp_secret).at(bank.clock())
    token, _ = tokens.issue_token(bank, email=user.email, password=password, otp=code)
    return user, token


def signed_in(app: Any, user_id: str) -> Any:
    client = app.test_client()
    response = client.post(SIGN_IN + user_id, environ_base={"REMOTE_ADDR": IP})
    assert response.status_code == 200, response.get_data(as_text=True)
    client.environ_base["REMOTE_ADDR"] = IP
    return client


def staff_client(app: Any, bank: Bank, role: Role | str, **kwargs: Any) -> tuple[User, Any]:
    user = make_staff(bank, role, **kwargs)
    return user, signed_in(app, user.id)


def customer_signed_in(
    app: Any, bank: Bank, name: str = "Ada Lovelace", deposit: str | None = "100.00"
) -> tuple[Customer, Any]:
    who = new_customer(bank, name, deposit=deposit)
    return who, signed_in(app, who.user_id)


def audit_lines(bank: Bank, limit: int = 100) -> list[Any]:
    return bank.store.audit.audit_log(limit=limit).items
