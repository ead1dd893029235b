"""The readable audit log: human action names, targets by name and linked to the customer,
details in words, and customers' own money movements and profile changes copied in from the
event feed exactly once, on both stores."""

from __future__ import annotations

import threading

import pyotp
import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.security import AuditAction
from flaskbank.services import accounts, approvals, audit_trail, customers, postings, staff
from flaskbank.services.audit import Actor
from test_staff_support import CLI, IP, make_staff, staff_client, with_staff
from test_web_support import PERSONAL, Page


@pytest.fixture
def staff_app(app):
    return with_staff(app)


def _activity(bank):
    """Ada deposits, withdraws, sends Bob money, opens a savings account and changes her
    details; an analyst freezes Bob's account."""
    ada = new_customer(bank, "Ada Lovelace")
    bob = new_customer(bank, "Bob Byte")
    postings.deposit(bank, ada.user_id, ada.account_id, amount="100.00", memo="pay")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="20.00")
    postings.transfer(
        bank, ada.user_id, ada.account_id, to_account_number=bob.account_number, amount="30.00"
    )
    accounts.open_account(bank, ada.user_id, type="savings")
    customers.update_profile(bank, ada.user_id, **PERSONAL)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    staff.set_frozen(bank, analyst, bob.account_id, frozen=True, reason="mule?", actor=CLI)
    return ada, bob


def _lines(bank, action):
    return [e for e in bank.store.audit.audit_log(limit=500, action=action).items]


def test_customer_activity_reaches_the_audit_log_once(bank):
    ada, bob = _activity(bank)
    assert _lines(bank, AuditAction.MONEY_DEPOSITED) == []  # until the worker copies it
    audit_trail.catch_up(bank)
    audit_trail.catch_up(bank)  # caught up: nothing twice
    [deposit] = _lines(bank, AuditAction.MONEY_DEPOSITED)
    assert (deposit.actor_id, deposit.target, deposit.details) == (
        ada.user_id,
        ada.account_id,
        {"amount": "100.00 USD", "memo": "pay"},
    )
    assert deposit.actor_email == ada.email
    [transfer] = _lines(bank, AuditAction.MONEY_TRANSFERRED)
    assert transfer.details == {"amount": "30.00 USD", "to_account": bob.account_id}
    assert len(_lines(bank, AuditAction.MONEY_WITHDRAWN)) == 1
    opened = _lines(bank, AuditAction.ACCOUNT_OPENED)
    assert sorted(e.details["type"] for e in opened) == ["checking", "checking", "savings"]
    [profile] = _lines(bank, AuditAction.PROFILE_CHANGED)
    assert profile.details == {"changed": "phone, address, date_of_birth"}
    assert "+44" not in repr(profile)  # names of what changed, never the values


def test_two_workers_at_once_copy_each_event_once(bank):
    _activity(bank)

    def run() -> None:
        audit_trail.catch_up(bank)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    audit_trail.catch_up(bank)
    assert len(_lines(bank, AuditAction.MONEY_DEPOSITED)) == 1
    assert len(_lines(bank, AuditAction.ACCOUNT_OPENED)) == 3


def test_the_audit_page_reads_in_words_with_targets_by_name(staff_app, app_bank):
    ada, bob = _activity(app_bank)
    audit_trail.catch_up(app_bank)
    _, client = staff_client(staff_app, app_bank, Role.COMPLIANCE_OFFICER)
    page = Page(client.get("/staff/audit"))
    assert page.status == 200
    rows = page.rows()
    what = [r["What"] for r in rows]
    for name in (
        "Deposited",
        "Withdrew",
        "Transferred",
        "Opened an account",
        "Changed profile",
        "Froze account",
    ):
        assert name in what, what
    deposit = next(r for r in rows if r["What"] == "Deposited")
    number = ada.account_number
    assert deposit["About"] == f"Checking {number[:4]} {number[4:8]} {number[8:]} of Ada Lovelace"
    assert deposit["Details"] == "Amount 100.00 USD Memo pay"
    assert deposit["Who"] == ada.email  # no address: the feed carries none
    assert page.find("a", href=f"/staff/customers/{ada.user_id}")
    transfer = next(r for r in rows if r["What"] == "Transferred")
    assert "of Bob Byte" in transfer["Details"]
    assert page.find("a", href=f"/staff/customers/{bob.user_id}")
    frozen = next(r for r in rows if r["What"] == "Froze account")
    assert "Reason mule?" in frozen["Details"] and "Customer told review" in frozen["Details"]
    # The table is not wrapped in a scroller: every column is on the page at 1280 px.
    assert page.find("table", **{"class": "audit-log"})
    assert not page.find("div", **{"class": "table-wrap"})
    filtered = Page(client.get("/staff/audit", query_string={"action": "money_deposited"}))
    assert [r["What"] for r in filtered.rows()] == ["Deposited"]
    assert "Deposited" in [o.text for o in filtered.find("option")]


def test_approvals_read_as_what_was_approved(staff_app, app_bank):
    ada = new_customer(app_bank)
    user = app_bank.store.users.get_user(ada.user_id)
    app_bank.store.users.update_user(
        user.id, version=user.version, changes={"totp_secret": pyotp.random_base32()}
    )
    analyst = make_staff(app_bank, Role.FRAUD_ANALYST)
    admin = make_staff(app_bank, Role.ADMIN)
    asked = approvals.request_action(
        app_bank, analyst, "reset_second_factor", ada.user_id, "id checked", CLI
    )
    approvals.approve(app_bank, admin, asked.id, Actor.of(admin, IP))
    _, client = staff_client(staff_app, app_bank, Role.ADMIN)
    rows = Page(client.get("/staff/audit")).rows()
    what = [r["What"] for r in rows]
    assert "Approved second-factor reset" in what
    assert "Asked for approval: second-factor reset" in what
    assert "Reset second factor" in what
    reset = next(r for r in rows if r["What"] == "Reset second factor")
    assert reset["About"] == "Ada Lovelace"
    asked_row = next(r for r in rows if r["What"].startswith("Asked for approval"))
    assert "Reason id checked" in asked_row["Details"]
