"""Two-person approval: one member of staff asks, another approves (the action runs once) or
rejects; nobody decides on their own request; requests lapse; both steps are audited. Through
the pages, the staff API and the services, on both stores."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest

from conftest import at, new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.errors import BankError, NotPermitted, ValidationFailed
from flaskbank.domain.security import AuditAction
from flaskbank.services import approvals, staff
from flaskbank.services.audit import Actor
from mail_support import Recorder, deliver
from test_api_support import API, assert_problem
from test_staff_support import (
    CLI,
    IP,
    audit_lines,
    make_staff,
    staff_client,
    staff_token,
    with_staff,
)
from test_web_support import Page


@pytest.fixture
def staff_app(app):
    return with_staff(app)


def _with_second_factor(bank, who):
    user = bank.store.users.get_user(who.user_id)
    return bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={"totp_secret": pyotp.random_base32(), "recovery_codes": ("h1", "h2")},
    )


def _actions(bank, action):
    return [e for e in audit_lines(bank) if e.action is action]


def test_a_second_factor_reset_is_asked_for_then_approved_by_an_admin(staff_app, app_bank, client):
    ada = new_customer(app_bank)
    token = client.post(f"{API}/tokens", json={"email": ada.email, "password": ada.password})
    customer_token = {"Authorization": f"Bearer {token.json['token']}"}
    _with_second_factor(app_bank, ada)
    asker, desk = staff_client(staff_app, app_bank, Role.COMPLIANCE_OFFICER)
    view = Page(desk.get(f"/staff/customers/{ada.user_id}"))
    path = f"/staff/customers/{ada.user_id}/second-factor-reset"
    assert view.link("Ask to reset the second factor") == path
    assert desk.post(path, data={"reason": "passport seen in branch"}).status_code == 302
    assert app_bank.store.users.get_user(ada.user_id).has_two_factor  # nothing yet
    [request] = approvals.pending(app_bank, asker)
    # The asker cannot decide; neither can a role without the power to approve.
    listed = Page(desk.get("/staff/approvals"))
    assert "Your request" in listed.text and "passport seen in branch" in listed.text
    own = desk.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True)
    assert "nobody approves or rejects their own request" in Page(own).text
    _, analyst = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    analyst.post(f"/staff/approvals/{request.id}/approve")
    assert app_bank.store.users.get_user(ada.user_id).has_two_factor
    home = Page(analyst.get("/staff"))
    assert "1 request waiting for a second person" in home.text
    admin, boss = staff_client(staff_app, app_bank, Role.ADMIN)
    page = Page(boss.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True))
    assert "Approved: reset second factor." in page.flashes
    assert "Nothing is waiting for approval." in page.text
    user = app_bank.store.users.get_user(ada.user_id)
    assert (user.totp_secret, user.recovery_codes) == (None, ())
    assert client.get(f"{API}/me", headers=customer_token).status_code == 401  # ended
    [asked] = _actions(app_bank, AuditAction.APPROVAL_REQUESTED)
    [approved] = _actions(app_bank, AuditAction.APPROVAL_APPROVED)
    [reset] = _actions(app_bank, AuditAction.SECOND_FACTOR_RESET)
    assert (asked.actor_email, asked.target, asked.details["reason"]) == (
        asker.email,
        ada.user_id,
        "passport seen in branch",
    )
    assert (approved.actor_email, approved.details["requested_by"]) == (admin.email, asker.email)
    assert (reset.actor_email, reset.target, reset.details["request"]) == (
        admin.email,
        ada.user_id,
        request.id,
    )
    again = Page(boss.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True))
    assert "approved already" in " ".join(again.flashes)
    assert len(_actions(app_bank, AuditAction.SECOND_FACTOR_RESET)) == 1


def test_a_rejected_request_changes_nothing(staff_app, app_bank):
    ada = new_customer(app_bank)
    _with_second_factor(app_bank, ada)
    _, desk = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    desk.post(f"/staff/customers/{ada.user_id}/second-factor-reset", data={"reason": "lost phone"})
    [request] = app_bank.store.approvals.pending_requests(limit=5)
    _, boss = staff_client(staff_app, app_bank, Role.ADMIN)
    assert boss.post(f"/staff/approvals/{request.id}/reject").status_code == 302
    assert app_bank.store.users.get_user(ada.user_id).has_two_factor
    assert app_bank.store.approvals.get_request(request.id).status.value == "rejected"
    assert _actions(app_bank, AuditAction.APPROVAL_REJECTED)
    assert not _actions(app_bank, AuditAction.SECOND_FACTOR_RESET)


def test_asking_is_refused_for_no_second_factor_a_blank_reason_or_a_repeat(staff_app, app_bank):
    ada = new_customer(app_bank)
    _, desk = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    path = f"/staff/customers/{ada.user_id}/second-factor-reset"
    refused = Page(desk.post(path, data={"reason": "lost phone"}))
    assert refused.status == 422 and "no second factor" in refused.text
    _with_second_factor(app_bank, ada)
    blank = Page(desk.post(path, data={"reason": "  "}))
    assert blank.status == 422 and blank.error("reason")
    assert desk.post(path, data={"reason": "lost phone"}).status_code == 302
    repeat = Page(desk.post(path, data={"reason": "lost phone"}))
    assert repeat.status == 422 and "already waiting" in repeat.text
    assert len(app_bank.store.approvals.pending_requests(limit=5)) == 1
    assert desk.get("/staff/customers/nobody/second-factor-reset").status_code == 404


def test_unfreezing_through_the_staff_api_needs_a_second_analyst(staff_app, app_bank):
    ada = new_customer(app_bank, deposit="10.00")
    c = staff_app.test_client()
    first, first_token = staff_token(app_bank, Role.FRAUD_ANALYST)
    _, second_token = staff_token(app_bank, Role.FRAUD_ANALYST)
    _, officer_token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)

    def call(token, path, body=None):
        headers = {"Authorization": f"Bearer {token}"}
        if body is None and path.endswith("approvals"):
            return c.get(f"{API}/staff{path}", headers=headers)
        return c.post(f"{API}/staff{path}", json=body or {}, headers=headers)

    acc = f"/accounts/{ada.account_id}"
    assert_problem(call(first_token, acc + "/unfreeze", {"reason": "x"}), 422, "target")
    call(first_token, acc + "/freeze", {"reason": "mule?", "customer_message": "review"})
    asked = call(
        first_token,
        "/approvals",
        {"action": "unfreeze_account", "target": ada.account_id, "reason": "cleared"},
    )
    assert asked.status_code == 201 and asked.json["status"] == "pending"
    listed = call(officer_token, "/approvals")
    assert [r["id"] for r in listed.json["items"]] == [asked.json["id"]]
    rid = asked.json["id"]
    assert_problem(call(first_token, f"/approvals/{rid}/approve"), 403)
    assert_problem(call(officer_token, f"/approvals/{rid}/approve"), 403)  # may not unfreeze
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.FROZEN
    done = call(second_token, f"/approvals/{rid}/approve")
    assert done.status_code == 200 and done.json["status"] == "approved"
    assert done.json["decided_by_email"] != first.email
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
    assert_problem(call(second_token, f"/approvals/{rid}/approve"), 422, "request")
    assert_problem(call(second_token, "/approvals/nope/approve"), 404)
    assert_problem(
        call(first_token, "/approvals", {"action": "launch", "target": "x", "reason": "y"}),
        422,
        "action",
    )
    [unfrozen] = _actions(app_bank, AuditAction.ACCOUNT_UNFROZEN)
    assert (unfrozen.details["requested_by"], unfrozen.details["reason"]) == (
        first.email,
        "cleared",
    )


def test_a_request_lapses_after_a_day(bank):
    ada = new_customer(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    admin = make_staff(bank, Role.ADMIN)
    staff.set_frozen(bank, analyst, ada.account_id, frozen=True, reason="check", actor=CLI)
    asked = approvals.request_action(bank, analyst, "unfreeze_account", ada.account_id, "ok", CLI)
    later = bank.clock() + timedelta(hours=24, seconds=1)
    with at(bank, later):
        with pytest.raises(ValidationFailed, match="expired"):
            approvals.approve(bank, admin, asked.id, Actor.of(admin, IP))
        assert approvals.pending(bank, admin) == []
    assert bank.store.approvals.get_request(asked.id).status.value == "expired"
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.FROZEN
    # Lapsed, it no longer blocks asking again.
    again = approvals.request_action(bank, analyst, "unfreeze_account", ada.account_id, "ok", CLI)
    assert again.id != asked.id


def test_unfreezing_directly_is_refused(bank):
    ada = new_customer(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    staff.set_frozen(bank, analyst, ada.account_id, frozen=True, reason="check", actor=CLI)
    with pytest.raises(NotPermitted):
        staff.set_frozen(bank, analyst, ada.account_id, frozen=False, reason="ok", actor=CLI)


def test_an_approver_who_read_the_request_before_another_approved_it_is_told_so(bank, monkeypatch):
    """The race the test below meets now and then, staged: the second approver's read of
    the request predates the first approval, so the account is already unfrozen when their
    action runs. They learn the request was approved, not that the account is not frozen."""
    ada = new_customer(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    first, second = (make_staff(bank, Role.ADMIN) for _ in range(2))
    staff.set_frozen(bank, analyst, ada.account_id, frozen=True, reason="check", actor=CLI)
    asked = approvals.request_action(
        bank, analyst, "unfreeze_account", ada.account_id, "identity checked", CLI
    )
    approvals.approve(bank, first, asked.id, Actor.of(first, IP))
    reads = iter([asked])
    real = bank.store.approvals.get_request
    monkeypatch.setattr(
        bank.store.approvals,
        "get_request",
        lambda request_id: next(reads, None) or real(request_id),
    )
    with pytest.raises(ValidationFailed, match="approved already"):
        approvals.approve(bank, second, asked.id, Actor.of(second, IP))
    assert len(_actions(bank, AuditAction.ACCOUNT_UNFROZEN)) == 1
    assert len(_actions(bank, AuditAction.APPROVAL_APPROVED)) == 1


@pytest.mark.parametrize("action", ["unfreeze_account", "reset_second_factor"])
def test_two_approvers_at_once_run_the_action_once(bank, action):
    ada = new_customer(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    admins = [make_staff(bank, Role.ADMIN) for _ in range(2)]
    if action == "unfreeze_account":
        staff.set_frozen(bank, analyst, ada.account_id, frozen=True, reason="check", actor=CLI)
        target = ada.account_id
    else:
        _with_second_factor(bank, ada)
        target = ada.user_id
    asked = approvals.request_action(bank, analyst, action, target, "identity checked", CLI)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(admin) -> None:
        start.wait()
        try:
            outcomes.append(approvals.approve(bank, admin, asked.id, Actor.of(admin, IP)))
        except BankError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=decide, args=(a,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if not isinstance(o, BankError)]
    lost = [o for o in outcomes if isinstance(o, BankError)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ValidationFailed) and "approved already" in lost[0].message
    effect = (
        AuditAction.ACCOUNT_UNFROZEN
        if action == "unfreeze_account"
        else AuditAction.SECOND_FACTOR_RESET
    )
    assert len(_actions(bank, effect)) == 1
    assert len(_actions(bank, AuditAction.APPROVAL_APPROVED)) == 1


def test_a_password_reset_on_a_customers_behalf_waits_for_an_admin(staff_app, app_bank):
    ada = new_customer(app_bank)
    asker, desk = staff_client(staff_app, app_bank, Role.COMPLIANCE_OFFICER)
    path = f"/staff/customers/{ada.user_id}/password-reset"
    assert (
        Page(desk.get(f"/staff/customers/{ada.user_id}")).link("Ask to send a password reset link")
        == path
    )
    assert Page(desk.post(path, data={"reason": " "})).error("reason")
    assert desk.post(path, data={"reason": "called from the number on file"}).status_code == 302
    mailer = Recorder()
    deliver(app_bank, mailer)
    assert not [m for m in mailer.to(ada.email) if m.kind == "password_reset"]  # not yet
    [request] = approvals.pending(app_bank, asker)
    own = Page(desk.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True))
    assert "nobody approves or rejects their own request" in own.text
    admin, boss = staff_client(staff_app, app_bank, Role.ADMIN)
    boss.post(f"/staff/approvals/{request.id}/approve")
    deliver(app_bank, mailer)
    [mail] = [m for m in mailer.to(ada.email) if m.kind == "password_reset"]
    assert "/password/reset/" in mail.body
    [sent] = _actions(app_bank, AuditAction.PASSWORD_RESET_REQUESTED)
    assert (sent.actor_email, sent.target, sent.details["request"]) == (
        admin.email,
        ada.user_id,
        request.id,
    )
    assert desk.get("/staff/customers/nobody/password-reset").status_code == 404
