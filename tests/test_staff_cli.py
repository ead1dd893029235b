"""`flaskbank create-staff`, driven through click's runner against the test's store."""

from __future__ import annotations

import re
import secrets

import pytest
from click.testing import CliRunner

from conftest import store_url
from flaskbank.cli import main
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import PasswordChangeRequired
from flaskbank.passwords import ScryptHasher
from flaskbank.services import tokens
from flaskbank.services.bank import Bank
from test_staff_support import signed_in, with_staff


def create_staff(store, tmp_path, *args: str):
    env = {
        "FLASKBANK_STORE": store_url(store),
        "FLASKBANK_DATA_DIR": str(tmp_path),
        "FLASKBANK_SECRET_KEY": secrets.token_hex(32),
    }
    return CliRunner().invoke(main, ["create-staff", *args], env=env, catch_exceptions=False)


def one_time_password(output: str) -> str:
    [password] = re.findall(r"^One-time password: (\S+)$", output, re.MULTILINE)
    return password


@pytest.mark.parametrize(
    "role", ["fraud_analyst", "financial_manager", "compliance_officer", "admin"]
)
def test_create_staff_prints_a_one_time_password_that_must_be_changed(store, tmp_path, role):
    result = create_staff(
        store, tmp_path, "--email", "Nina@Bank.Example", "--name", "Nina  Simone", "--role", role
    )
    assert result.exit_code == 0, result.output
    password = one_time_password(result.output)
    assert len(password) >= 12 and "changed at the first login" in result.output
    user = store.users.find_user_by_email("nina@bank.example")
    assert user.role is Role(role) and user.full_name == "Nina Simone"
    assert user.must_change_password and user.totp_secret is None
    assert ScryptHasher().verify(user.password_hash, password)
    assert password not in user.password_hash
    [line] = store.audit.audit_log(limit=10).items
    assert (line.action.value, line.actor_id, line.actor_email, line.target) == (
        "staff_created",
        None,
        "cli",
        user.id,
    )
    assert line.details == {"email": user.email, "role": role}


def test_the_one_time_password_opens_nothing_until_changed(store, tmp_path, app):
    result = create_staff(
        store, tmp_path, "--email", "ann@bank.example", "--name", "Ann", "--role", "admin"
    )
    password = one_time_password(result.output)
    user = store.users.find_user_by_email("ann@bank.example")
    bank = Bank(store, ScryptHasher())
    with pytest.raises(PasswordChangeRequired):
        tokens.issue_token(bank, email=user.email, password=password)
    client = signed_in(with_staff(app), user.id)
    response = client.get("/staff/users")
    assert response.status_code == 302 and "password" in response.location


@pytest.mark.parametrize("role", ["customer", "king", ""])
def test_only_staff_roles_are_accepted(store, tmp_path, role):
    result = create_staff(
        store, tmp_path, "--email", "x@bank.example", "--name", "X", "--role", role
    )
    assert result.exit_code == 2 and "Invalid value for '--role'" in result.output
    assert store.users.find_user_by_email("x@bank.example") is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "not-an-email", "--name", "X"], "email"),
        (["--email", "x@bank.example", "--name", "  "], "full name"),
    ],
)
def test_bad_details_are_named(store, tmp_path, args, message):
    result = create_staff(store, tmp_path, *args, "--role", "admin")
    assert result.exit_code == 1 and message in result.output
    assert "One-time password" not in result.output


def test_an_email_in_use_is_refused(store, tmp_path):
    assert (
        create_staff(
            store, tmp_path, "--email", "x@bank.example", "--name", "X", "--role", "admin"
        ).exit_code
        == 0
    )
    again = create_staff(
        store, tmp_path, "--email", "X@bank.example", "--name", "Y", "--role", "fraud_analyst"
    )
    assert again.exit_code == 1 and "One-time password" not in again.output
    assert store.users.find_user_by_email("x@bank.example").role is Role.ADMIN


def test_every_option_is_required(store, tmp_path):
    result = create_staff(store, tmp_path, "--email", "x@bank.example", "--role", "admin")
    assert result.exit_code == 2 and "--name" in result.output
