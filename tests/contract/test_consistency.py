"""Issue 8's defects, each forced from outside on every store: the interleavings are made to
happen (a hook runs the racer between a read and the write that follows it), not hoped for."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import balance, new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.errors import AccountNotOpen, InvalidCredentials, StoreError
from flaskbank.domain.security import AuditAction
from flaskbank.services import customers, postings, staff
from flaskbank.services.audit import Actor, record
from test_staff_support import CLI, make_staff

IP = "203.0.113.9"


@contextlib.contextmanager
def after_first(store: Any, method: str, racer: Callable[[], object]) -> Iterator[None]:
    """Run `racer` once, right after the next call of `store.<method>` returns: the read a
    use case starts from is then stale by the time it writes."""
    real = getattr(store, method)
    pending = [racer]

    def hooked(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if pending:
            pending.pop()()
        return result

    setattr(store, method, hooked)
    try:
        yield
    finally:
        delattr(store, method)  # the class's method again
    assert not pending, f"{method} was never called"


# -- defect 2: lost updates on the user record ---------------------------------------------


def test_a_rename_racing_a_password_change_keeps_the_new_password(bank):
    ada = new_customer(bank)
    new = "a fresh and unguessable phrase"

    def change() -> None:
        customers.change_password(bank, ada.user_id, old_password=ada.password, new_password=new)

    with after_first(bank.store.users, "get_user", change):
        customers.update_profile(bank, ada.user_id, full_name="Augusta Ada King")
    assert (
        customers.authenticate(bank, email=ada.email, password=new).full_name == "Augusta Ada King"
    )
    with pytest.raises(InvalidCredentials):
        customers.authenticate(bank, email=ada.email, password=ada.password)


def test_a_profile_edit_racing_a_demotion_keeps_the_demotion(bank):
    admin = make_staff(bank, Role.ADMIN)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    demote = lambda: staff.change_role(bank, admin, analyst.id, "customer", CLI)  # noqa: E731
    with after_first(bank.store.users, "get_user", demote):
        customers.update_profile(bank, analyst.id, full_name="Fran Analyst-Smith")
    after = bank.store.users.get_user(analyst.id)
    assert (after.role, after.full_name) == (Role.CUSTOMER, "Fran Analyst-Smith")
    changes = [
        e
        for e in bank.store.audit.audit_log(limit=50).items
        if e.action is AuditAction.ROLE_CHANGED
    ]
    assert [(e.target, e.details["new"]) for e in changes] == [(analyst.id, "customer")]


def test_a_write_from_a_stale_read_is_refused_not_applied(bank):
    from flaskbank.domain.errors import StaleRecord

    ada = new_customer(bank)
    before = bank.store.users.get_user(ada.user_id)
    customers.update_profile(bank, ada.user_id, full_name="Ada King")
    with pytest.raises(StaleRecord):
        bank.store.users.update_user(
            ada.user_id, version=before.version, changes={"role": Role.ADMIN}
        )
    after = bank.store.users.get_user(ada.user_id)
    assert (after.role, after.full_name, after.version) == (
        Role.CUSTOMER,
        "Ada King",
        before.version + 1,
    )


# -- the unit of work ------------------------------------------------------------------------


def test_a_unit_left_without_commit_writes_nothing(bank):
    ada = new_customer(bank)
    with bank.store.unit_of_work():
        bank.store.ledger.set_account_status(ada.account_id, AccountStatus.FROZEN, "test")
        record(bank, Actor(None, "cli", IP), AuditAction.ACCOUNT_FROZEN, "x")
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
    assert bank.store.audit.audit_log(limit=10).items == []


def test_a_freeze_whose_audit_entry_fails_is_not_applied(bank, monkeypatch):
    ada = new_customer(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    real = bank.store.audit.append_audit

    def failing(event: Any) -> None:
        real(event)
        raise StoreError("the audit log is unavailable")

    monkeypatch.setattr(bank.store.audit, "append_audit", failing)
    with pytest.raises(StoreError):
        staff.set_frozen(
            bank, analyst, ada.account_id, frozen=True, reason="fraud", actor=Actor.of(analyst, IP)
        )
    monkeypatch.undo()
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
    assert [
        e.action
        for e in bank.store.audit.audit_log(limit=10).items
        if e.action is AuditAction.ACCOUNT_FROZEN
    ] == []


def test_a_role_change_whose_audit_entry_fails_keeps_role_and_sessions(bank, monkeypatch):
    from flaskbank.services import tokens

    admin = make_staff(bank, Role.ADMIN)
    ada = new_customer(bank)
    token, _ = tokens.issue_token(bank, email=ada.email, password=ada.password)
    monkeypatch.setattr(
        bank.store.audit,
        "append_audit",
        lambda event: (_ for _ in ()).throw(StoreError("the audit log is unavailable")),
    )
    with pytest.raises(StoreError):
        staff.change_role(bank, admin, ada.user_id, "fraud_analyst", CLI)
    monkeypatch.undo()
    assert bank.store.users.get_user(ada.user_id).role is Role.CUSTOMER
    assert tokens.user_for_token(bank, token) is not None


# -- defect 4: credits to a frozen or closed account -----------------------------------------


@pytest.mark.parametrize("status", [AccountStatus.FROZEN, AccountStatus.CLOSED])
def test_a_transfer_by_number_into_a_blocked_account_is_refused(bank, status):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    bank.store.ledger.set_account_status(bob.account_id, status, "held")
    with pytest.raises(AccountNotOpen):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="10", to_account_number=bob.account_number
        )
    assert (balance(bank, ada.account_id), balance(bank, bob.account_id)) == (50, 0)


def test_a_recipient_frozen_after_the_read_is_refused_at_commit(bank):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")

    def freeze() -> None:
        bank.store.ledger.set_account_status(bob.account_id, AccountStatus.FROZEN, "review")

    with after_first(bank.store.ledger, "read_for_posting", freeze), pytest.raises(AccountNotOpen):
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="10", to_account_number=bob.account_number
        )
    assert (balance(bank, ada.account_id), balance(bank, bob.account_id)) == (50, 0)
