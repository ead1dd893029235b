"""Who is who, on every store: emails compared in one form (the login lock, the audit log's
actor filter), look-alike emails and invisible characters in names refused, transfers to one's
own email, and passwords judged by how guessable they are."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import balance, new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    LoginLocked,
    SameAccount,
    ValidationFailed,
)
from flaskbank.domain.security import AuditAction
from flaskbank.services import accounts, audit, authentication, customers, postings, staff
from flaskbank.services.audit import Actor

CLI = Actor(None, "cli", "local")
IP = "203.0.113.7"
GOOD = "quiet otter ledger 47"
FULLWIDTH_ALICE = "\uff41lice@example.com"  # ａlice: NFKC makes it alice
CYRILLIC_ALICE = "\u0430lice@example.com"  # аlice: a Cyrillic letter that no NFKC changes


def errors_of(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as err:
        call(*args, **kwargs)
    return err.value.errors


# -- one form of an email ---------------------------------------------------------------------
def test_login_failures_in_any_form_of_the_email_lock_the_one_login(bank):
    ada = new_customer(bank)
    typed = [
        ada.email.upper(),
        "\uff41" + ada.email[1:],
        f"  {ada.email} ",
        ada.email,
        ada.email.title(),
    ]
    for email in typed:
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email=email, password="not it at all", ip=IP)
    with pytest.raises(LoginLocked):
        authentication.check_password(bank, email=ada.email, password=ada.password, ip=IP)


def test_the_actor_filter_finds_staff_whose_email_has_capitals(bank):
    boss, _ = staff.create_staff(
        bank,
        email="Auditor.Boss@Bank.example",
        full_name="Boss",
        role=Role.COMPLIANCE_OFFICER.value,
        actor=CLI,
    )
    staff.search_customers(bank, boss, "ada", Actor.of(boss, "192.0.2.1"))
    for typed in ("auditor.boss@bank.example", "AUDITOR.BOSS@bank.example", boss.email):
        found = audit.audit_log(bank, boss, actor_email=typed).items
        assert [e.action for e in found] == [AuditAction.CUSTOMER_SEARCHED], typed


# -- look-alike emails ------------------------------------------------------------------------
def test_a_fullwidth_look_alike_is_the_same_email(bank):
    alice = customers.register(bank, email="alice@example.com", full_name="Alice", password=GOOD)
    with pytest.raises(EmailTaken):
        customers.register(bank, email=FULLWIDTH_ALICE, full_name="Mallory", password=GOOD)
    assert bank.store.users.count_users() == 1
    assert customers.authenticate(bank, email=FULLWIDTH_ALICE, password=GOOD).id == alice.id
    # Money sent to the look-alike reaches alice, the one person it can mean.
    checking = accounts.open_account(bank, alice.id, type="checking")
    bob = new_customer(bank, "Bob Babbage", deposit="10.00")
    postings.transfer(bank, bob.user_id, bob.account_id, amount="4", to_email=FULLWIDTH_ALICE)
    assert balance(bank, checking.id) == Decimal("4.00")


@pytest.mark.parametrize(
    "email",
    [
        CYRILLIC_ALICE,
        "alice@ex\u0430mple.com",
        "alice@b\u00fccher.example",
        "al\u00efce@example.com",
    ],
)
def test_letters_outside_plain_latin_are_refused(bank, email):
    message = errors_of(customers.register, bank, email=email, full_name="Mallory", password=GOOD)[
        "email"
    ]
    assert "plain Latin letters" in message
    ada = new_customer(bank)
    assert "email" in errors_of(customers.update_profile, bank, ada.user_id, email=email)
    assert bank.store.users.count_users() == 1


def test_an_internationalised_domain_registers_in_its_xn_form(bank):
    user = customers.register(
        bank, email="Ada@XN--bcher-kva.example", full_name="Ada", password=GOOD
    )
    assert user.email == "Ada@xn--bcher-kva.example"
    assert customers.authenticate(bank, email="ada@xn--bcher-kva.example", password=GOOD)


# -- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "\x00\x01\x02",
        "\x07",
        "Ada\x1bLovelace",  # control characters
        "Ada \u202eecalevoL",
        "\u2066Ada\u2069",  # bidi override and isolate
        "Ada\u200bLovelace",
        "\u2060",
        "Ada\ufeff",  # zero-width and invisible format characters
        "Ada\u2028Lovelace",
        "Ada\u2029",  # line and paragraph separators
        "\ue000Ada",  # private use
        "Ada\U000e0041",  # a tag character (Cf)
    ],
)
def test_names_with_invisible_characters_are_refused_everywhere(bank, name):
    assert "full_name" in errors_of(
        customers.register, bank, email="ada@example.com", full_name=name, password=GOOD
    )
    ada = new_customer(bank)
    assert "full_name" in errors_of(customers.update_profile, bank, ada.user_id, full_name=name)
    assert "full_name" in errors_of(
        staff.create_staff,
        bank,
        email="staff@bank.example",
        full_name=name,
        role="admin",
        actor=CLI,
    )
    assert bank.store.users.get_user(ada.user_id).full_name == "Ada Lovelace"
    assert bank.store.users.count_users() == 1


def test_names_are_normalised_and_keep_ordinary_spaces(bank):
    user = customers.register(
        bank, email="ada@example.com", full_name="\uff21da\u3000 Lovelace\t", password=GOOD
    )
    assert user.full_name == "Ada Lovelace"
    assert bank.store.users.get_user(user.id).full_name == "Ada Lovelace"


# -- transfers to one's own email -------------------------------------------------------------
def test_a_transfer_to_ones_own_email_goes_to_the_other_account(bank):
    ada = new_customer(bank, deposit="20.00")
    accounts.open_account(bank, ada.user_id, type="savings", currency="EUR")  # not USD
    savings = accounts.open_account(bank, ada.user_id, type="savings")
    postings.transfer(bank, ada.user_id, ada.account_id, amount="5", to_email=ada.email.upper())
    assert balance(bank, savings.id) == Decimal("5.00")
    assert balance(bank, ada.account_id) == Decimal("15.00")
    # from the other account, the first one is the other one
    postings.transfer(bank, ada.user_id, savings.id, amount="2", to_email=ada.email)
    assert balance(bank, ada.account_id) == Decimal("17.00")


def test_a_transfer_to_ones_own_email_with_several_other_accounts_asks_for_the_number(bank):
    ada = new_customer(bank, deposit="20.00")
    for _ in range(2):
        accounts.open_account(bank, ada.user_id, type="savings")
    message = errors_of(
        postings.transfer, bank, ada.user_id, ada.account_id, amount="5", to_email=ada.email
    )["to_email"]
    assert message == "you have several accounts; give the account number"
    assert balance(bank, ada.account_id) == Decimal("20.00")


def test_a_transfer_to_ones_own_email_without_another_account_is_the_same_account(bank):
    ada = new_customer(bank, deposit="20.00")
    with pytest.raises(SameAccount):
        postings.transfer(bank, ada.user_id, ada.account_id, amount="5", to_email=ada.email)
    assert balance(bank, ada.account_id) == Decimal("20.00")


# -- passwords --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",
        "password123",
        "qwertyuiop",
        "1234567890",
        "Password1!",
        "ada.king@example.com",
        "ada.king99",
        "Ada King Lovelace",
        "lovelace2024",
        "adakinglovelace",
    ],
)
def test_guessable_and_personal_passwords_are_refused(bank, password):
    message = errors_of(
        customers.register,
        bank,
        email="ada.king@example.com",
        full_name="Ada King Lovelace",
        password=password,
    )["password"]
    assert message.startswith("too easy to guess")
    assert bank.store.users.count_users() == 0


def test_a_personal_password_is_refused_with_that_reason_also_on_change(bank):
    ada = new_customer(bank, "Ada Lovelace")
    message = errors_of(
        customers.change_password,
        bank,
        ada.user_id,
        old_password=ada.password,
        new_password="ada lovelace 1",
    )["new_password"]
    assert "do not use your email or name" in message
    assert customers.authenticate(bank, email=ada.email, password=ada.password)


@pytest.mark.parametrize(
    "password", [GOOD, "Tram-Violet-Harbour-92", "my cat naps on the warm radiator " * 6]
)
def test_hard_to_guess_passwords_are_accepted(bank, password):
    user = customers.register(bank, email="ada@example.com", full_name="Ada", password=password)
    assert customers.authenticate(bank, email="ada@example.com", password=password).id == user.id
