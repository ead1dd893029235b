"""Users, profiles, accounts and API tokens on every store."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role, normalize_account_number
from flaskbank.domain.errors import EmailTaken, InvalidCredentials, ValidationFailed
from flaskbank.domain.ledger import parse_utc_iso, utc_iso
from flaskbank.domain.security import ApiToken
from flaskbank.services import accounts, customers, tokens


def test_register_then_log_in_with_any_email_case(bank):
    user = customers.register(
        bank,
        email="Ada@Example.com",
        full_name="  Ada   Lovelace ",
        password="correct horse battery",
    )
    assert user.role is Role.CUSTOMER and user.full_name == "Ada Lovelace"
    assert "correct horse" not in user.password_hash
    found = customers.authenticate(bank, email="ada@EXAMPLE.com", password="correct horse battery")
    assert found.id == user.id


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@example.com"])
def test_an_email_registers_once(bank, email):
    customers.register(bank, email="ada@example.com", full_name="Ada", password="first of two")
    with pytest.raises(EmailTaken):
        customers.register(bank, email=email, full_name="Other", password="second of two")
    assert bank.store.users.count_users() == 1


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"full_name": "  "}, "full_name"),
        ({"full_name": "x" * 101}, "full_name"),
        ({"password": "short"}, "password"),
        ({"password": None}, "password"),
        ({"email": ["a@b.c"]}, "email"),
    ],
)
def test_registration_names_each_bad_field(bank, fields, bad):
    data = {"email": "ada@example.com", "full_name": "Ada", "password": "long enough pw"}
    with pytest.raises(ValidationFailed) as err:
        customers.register(bank, **{**data, **fields})
    assert bad in err.value.errors
    assert bank.store.users.count_users() == 0


def test_wrong_password_and_unknown_email_fail_alike(bank):
    ada = new_customer(bank)
    for email, password in ((ada.email, "wrong password"), ("nobody@example.com", ada.password)):
        with pytest.raises(InvalidCredentials) as err:
            customers.authenticate(bank, email=email, password=password)
        assert str(err.value) == "wrong email or password"


def test_profile_edit_and_email_uniqueness(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    customers.update_profile(
        bank,
        ada.user_id,
        full_name="Ada King",
        email="ada.k@example.com",
        current_password=ada.password,
    )
    assert customers.authenticate(bank, email="ada.k@example.com", password=ada.password)
    assert bank.store.users.find_user_by_email(ada.email) is None
    with pytest.raises(EmailTaken):
        customers.update_profile(
            bank, bob.user_id, email="ADA.K@example.com", current_password=bob.password
        )
    assert bank.store.users.get_user(bob.user_id).email == bob.email
    # the old address is free again
    customers.update_profile(bank, bob.user_id, email=ada.email, current_password=bob.password)


def test_password_change_asks_for_the_old_one(bank):
    ada = new_customer(bank)
    with pytest.raises(ValidationFailed) as err:
        customers.change_password(
            bank, ada.user_id, old_password="wrong", new_password="a brand new password"
        )
    assert "old_password" in err.value.errors
    customers.change_password(
        bank, ada.user_id, old_password=ada.password, new_password="new password 1"
    )
    with pytest.raises(InvalidCredentials):
        customers.authenticate(bank, email=ada.email, password=ada.password)
    customers.authenticate(bank, email=ada.email, password="new password 1")


def test_accounts_are_listed_oldest_first_with_valid_distinct_numbers(bank):
    ada = new_customer(bank)
    savings = accounts.open_account(bank, ada.user_id, type="savings", currency="EUR")
    listed = accounts.accounts_of(bank, ada.user_id)
    assert [a.id for a in listed] == [ada.account_id, savings.id]
    assert [(a.type.value, a.currency, str(a.balance)) for a in listed] == [
        ("checking", "USD", "0.00"),
        ("savings", "EUR", "0.00"),
    ]
    assert all(normalize_account_number(a.number) == a.number for a in listed)
    assert bank.store.ledger.find_account_by_number(savings.number).id == savings.id
    assert accounts.accounts_of(bank, new_customer(bank, "Bob B").user_id)[0].id != savings.id


@pytest.mark.parametrize("kind, currency", [("loan", None), ("", None), ("checking", "XYZ")])
def test_only_known_account_types_and_currencies_open(bank, kind, currency):
    ada = new_customer(bank)
    with pytest.raises(ValidationFailed):
        accounts.open_account(bank, ada.user_id, type=kind, currency=currency)
    assert len(accounts.accounts_of(bank, ada.user_id)) == 1


def test_tokens_identify_the_user_until_revoked_or_expired(bank):
    ada = new_customer(bank)
    token, expires_at = tokens.issue_token(bank, email=ada.email, password=ada.password)
    assert tokens.user_for_token(bank, token).id == ada.user_id
    assert tokens.user_for_token(bank, token + "x") is None
    later = replace(bank, clock=lambda: bank.clock() + timedelta(hours=2))
    assert tokens.user_for_token(later, token) is None
    tokens.revoke_token(bank, token)
    assert tokens.user_for_token(bank, token) is None
    with pytest.raises(InvalidCredentials):
        tokens.issue_token(bank, email=ada.email, password="nope")


def test_a_token_ends_at_its_expiry_to_the_microsecond(bank):
    ada = new_customer(bank)
    token, expires_at = tokens.issue_token(bank, email=ada.email, password=ada.password)
    end = parse_utc_iso(expires_at)
    just_before = replace(bank, clock=lambda: end - timedelta(microseconds=1))
    assert tokens.user_for_token(just_before, token).id == ada.user_id
    assert tokens.user_for_token(replace(bank, clock=lambda: end), token) is None


def test_a_token_and_its_user_are_read_together_whatever_the_token_claims(bank):
    ada, bob = new_customer(bank), new_customer(bank, "Bob B")
    token, _ = tokens.issue_token(bank, email=ada.email, password=ada.password)
    assert token.startswith(f"{ada.user_id}.")
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    for named in (ada.user_id, bob.user_id, "no-such-user", None):
        record, user = bank.store.sessions.get_token_with_user(token_hash, named)
        assert (record.token_hash, record.user_id, user.id) == (
            token_hash,
            ada.user_id,
            ada.user_id,
        )
    assert bank.store.sessions.get_token_with_user("0" * 64, ada.user_id) is None
    # Another user's id in front of a token's secret is another token: unknown.
    secret = token.rpartition(".")[2]
    assert tokens.user_for_token(bank, f"{bob.user_id}.{secret}") is None
    assert tokens.user_for_token(bank, secret) is None


@pytest.mark.parametrize("shape", ["plain", "another user's id in front"])
def test_the_stored_record_says_whose_token_it_is(bank, shape):
    ada, bob = new_customer(bank), new_customer(bank, "Bob B")
    user = bank.store.users.get_user(ada.user_id)
    # tokens issued before tokens named their user, or however such a token came to be
    token = secrets.token_urlsafe(32)
    if shape != "plain":
        token = f"{bob.user_id}.{token}"
    bank.store.sessions.add_token(
        ApiToken(
            hashlib.sha256(token.encode()).hexdigest(),
            ada.user_id,
            bank.now(),
            utc_iso(bank.clock() + timedelta(hours=1)),
            stamp=user.security_stamp,
        )
    )
    assert tokens.user_for_token(bank, token).id == ada.user_id
