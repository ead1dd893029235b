"""Who is who, on every store: emails compared in one form (the login lock, the audit log's
actor filter)."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import InvalidCredentials, LoginLocked
from flaskbank.domain.security import AuditAction
from flaskbank.services import audit, authentication, staff
from flaskbank.services.audit import Actor

CLI = Actor(None, "cli", "local")
IP = "203.0.113.7"


# -- one form of an email ---------------------------------------------------------------------
def test_login_failures_in_any_form_of_the_email_lock_the_one_login(bank):
    ada = new_customer(bank)
    typed = [ada.email.upper(), "\uff41" + ada.email[1:], f"  {ada.email} ", ada.email,
             ada.email.title()]
    for email in typed:
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email=email, password="not it at all", ip=IP)
    with pytest.raises(LoginLocked):
        authentication.check_password(bank, email=ada.email, password=ada.password, ip=IP)


def test_the_actor_filter_finds_staff_whose_email_has_capitals(bank):
    boss, _ = staff.create_staff(bank, email="Auditor.Boss@Bank.example", full_name="Boss",
                                 role=Role.COMPLIANCE_OFFICER.value, actor=CLI)
    staff.search_customers(bank, boss, "ada", Actor.of(boss, "192.0.2.1"))
    for typed in ("auditor.boss@bank.example", "AUDITOR.BOSS@bank.example", boss.email):
        found = audit.audit_log(bank, boss, actor_email=typed).items
        assert [e.action for e in found] == [AuditAction.CUSTOMER_SEARCHED], typed
