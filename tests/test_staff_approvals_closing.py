"""Closing an account that holds money, with two-person approval: one member of staff asks and
names where the balance goes (the customer's other open account, or a cheque), another
approves, and in that one unit of work the money moves and the account closes. Refused at
request and at approval for a closed, frozen, overdrawn or held account and for a
destination that is not the customer's open account; money is conserved; two approvers at
once close it once. Through the services, the pages and the staff API, on both stores."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.errors import AccountNotFound, BankError, ValidationFailed
from flaskbank.domain.events import EventKind
from flaskbank.domain.monitoring.replay import replay
from flaskbank.domain.monitoring.rules import default_rule_set
from flaskbank.domain.security import AuditAction
from flaskbank.services import accounts, approvals, holds, postings, staff, tokens
from flaskbank.services.audit import Actor
from flaskbank.services.ledger_checks import verify
from test_api_support import assert_problem
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


def _second_account(bank, who, currency=None):
    return accounts.open_account(bank, who.user_id, type="savings", currency=currency)


def _balance(bank, account_id) -> Decimal:
    return bank.store.ledger.get_account(account_id).balance.amount


def _ask(bank, asker, target, detail=None):
    return approvals.request_action(
        bank, asker, "close_account", target, "customer moving abroad", CLI, detail
    )


def _approve(bank, approver, request):
    return approvals.approve(bank, approver, request.id, Actor.of(approver, IP))


def test_the_balance_moves_to_the_customers_other_account_and_the_account_closes(bank):
    ada = new_customer(bank, deposit="250.75")
    savings = _second_account(bank, ada)
    asker = make_staff(bank, Role.COMPLIANCE_OFFICER)
    approver = make_staff(bank, Role.FRAUD_ANALYST)
    asked = _ask(bank, asker, ada.account_id, savings.id)
    assert asked.detail == savings.id
    assert _balance(bank, ada.account_id) == Decimal("250.75")  # nothing until approved
    done = _approve(bank, approver, asked)
    assert done.status.value == "approved"
    closed = bank.store.ledger.get_account(ada.account_id)
    assert closed.status is AccountStatus.CLOSED and closed.balance.amount == 0
    assert _balance(bank, savings.id) == Decimal("250.75")
    # Both histories show the move, with a memo that says why.
    [out] = bank.store.ledger.history(ada.account_id, limit=1).items
    [into] = bank.store.ledger.history(savings.id, limit=1).items
    assert out.amount.amount == Decimal("-250.75") and into.amount.amount == Decimal("250.75")
    assert "Closing balance of account" in out.memo and out.memo == into.memo
    [entry] = [e for e in audit_lines(bank) if e.action is AuditAction.ACCOUNT_CLOSED]
    assert (entry.actor_email, entry.target, entry.details["to"]) == (
        approver.email,
        ada.account_id,
        savings.id,
    )
    assert verify(bank).problems == []


def test_with_no_other_account_the_balance_is_paid_out_by_cheque(bank):
    ada = new_customer(bank, deposit="80.00")
    asker, approver = make_staff(bank, Role.ADMIN), make_staff(bank, Role.ADMIN)
    asked = _ask(bank, asker, ada.account_id)  # nothing named: there is nowhere else
    assert asked.detail == "payout"
    _approve(bank, approver, asked)
    account = bank.store.ledger.get_account(ada.account_id)
    assert account.status is AccountStatus.CLOSED and account.balance.amount == 0
    [paid] = bank.store.ledger.history(ada.account_id, limit=1).items
    assert paid.type.value == "withdrawal" and "paid out by cheque" in paid.memo
    assert verify(bank).problems == []


def test_the_posting_that_empties_an_account_names_it_and_a_replay_never_scores_it(bank):
    # The bank's payout is not screened live; a backtest must not score it either.
    ada = new_customer(bank, deposit="80.00")
    savings = _second_account(bank, ada)
    bob = new_customer(bank, deposit="40.00")
    asker, approver = make_staff(bank, Role.ADMIN), make_staff(bank, Role.ADMIN)
    _approve(bank, approver, _ask(bank, asker, ada.account_id, savings.id))
    _approve(bank, approver, _ask(bank, asker, savings.id, "payout"))
    _approve(bank, approver, _ask(bank, asker, bob.account_id, "payout"))
    events = bank.store.events.read(after=None, limit=500).events
    posted = [e for e in events if e.kind is EventKind.TRANSACTION_POSTED]
    closing = [(e.payload["type"], e.payload.get("closes")) for e in posted[2:]]
    assert closing == [
        ("transfer", ada.account_id),
        ("withdrawal", savings.id),
        ("withdrawal", bob.account_id),
    ]
    assert "closes" not in posted[0].payload and "closes" not in posted[1].payload
    closed = [e.subject for e in events if e.kind is EventKind.ACCOUNT_STATUS_CHANGED]
    assert closed == [ada.account_id, savings.id, bob.account_id]
    result = replay(events, default_rule_set())
    assert (result.transactions, result.scored) == (5, 2)  # the two opening deposits


def test_staff_may_pay_out_even_when_the_customer_has_another_account(bank):
    ada = new_customer(bank, deposit="10.00")
    savings = _second_account(bank, ada)
    asker, approver = make_staff(bank, Role.ADMIN), make_staff(bank, Role.ADMIN)
    with pytest.raises(ValidationFailed) as blank:
        _ask(bank, asker, ada.account_id)  # two ways to go: staff must choose
    assert "detail" in blank.value.errors
    _approve(bank, approver, _ask(bank, asker, ada.account_id, "payout"))
    assert _balance(bank, savings.id) == 0
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.CLOSED


def test_asking_is_refused_for_a_held_frozen_overdrawn_or_closed_account(bank):
    ada = new_customer(bank, deposit="100.00")
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    hold = holds.place_staff_hold(
        bank, analyst, ada.account_id, amount="5.00", reason="check", expires_at=None, actor=CLI
    )
    with pytest.raises(ValidationFailed, match="held") as held:
        _ask(bank, analyst, ada.account_id, "payout")
    assert "target" in held.value.errors
    holds.void(bank, analyst, ada.account_id, hold.id, CLI)
    staff.set_frozen(bank, analyst, ada.account_id, frozen=True, reason="check", actor=CLI)
    with pytest.raises(ValidationFailed, match="frozen"):
        _ask(bank, analyst, ada.account_id, "payout")
    bob = new_customer(bank, "Bob Empty")
    accounts.close_account(bank, Actor(bob.user_id, bob.email, IP), bob.account_id)
    with pytest.raises(ValidationFailed, match="closed already"):
        _ask(bank, analyst, bob.account_id, "payout")
    with pytest.raises(AccountNotFound):
        _ask(bank, analyst, "no-such-account", "payout")
    assert bank.store.approvals.pending_requests(limit=5) == []


def test_the_destination_must_be_the_same_customers_open_account(bank):
    ada = new_customer(bank, deposit="20.00")
    bob = new_customer(bank, "Bob Stranger")
    euros = _second_account(bank, ada, currency="EUR")
    shut = _second_account(bank, ada)
    accounts.close_account(bank, Actor(ada.user_id, ada.email, IP), shut.id)
    asker = make_staff(bank, Role.ADMIN)
    for wrong in (bob.account_id, euros.id, shut.id, ada.account_id, "nonsense"):
        with pytest.raises(ValidationFailed) as refused:
            _ask(bank, asker, ada.account_id, wrong)
        assert "detail" in refused.value.errors, wrong
    assert bank.store.approvals.pending_requests(limit=5) == []


def test_approval_judges_again_and_changes_nothing_when_refused(bank):
    ada = new_customer(bank, deposit="60.00")
    savings = _second_account(bank, ada)
    asker, approver = make_staff(bank, Role.ADMIN), make_staff(bank, Role.ADMIN)
    asked = _ask(bank, asker, ada.account_id, savings.id)
    accounts.close_account(
        bank, Actor(ada.user_id, ada.email, IP), savings.id
    )  # emptied, then shut
    with pytest.raises(ValidationFailed) as refused:
        _approve(bank, approver, asked)
    assert "detail" in refused.value.errors
    assert bank.store.approvals.get_request(asked.id).status.value == "pending"
    assert _balance(bank, ada.account_id) == Decimal("60.00")
    assert bank.store.ledger.get_account(ada.account_id).is_open
    # Money held meanwhile also stops it.
    approvals.reject(bank, approver, asked.id, CLI)
    other = _ask(bank, asker, ada.account_id, "payout")
    holds.place_staff_hold(
        bank, approver, ada.account_id, amount="1.00", reason="x", expires_at=None, actor=CLI
    )
    with pytest.raises(ValidationFailed, match="held"):
        _approve(bank, approver, other)
    assert bank.store.ledger.get_account(ada.account_id).is_open
    assert verify(bank).problems == []


def test_two_approvers_at_once_close_the_account_once(bank):
    ada = new_customer(bank, deposit="99.99")
    savings = _second_account(bank, ada)
    asker = make_staff(bank, Role.FRAUD_ANALYST)
    admins = [make_staff(bank, Role.ADMIN) for _ in range(2)]
    asked = _ask(bank, asker, ada.account_id, savings.id)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(admin) -> None:
        start.wait()
        try:
            outcomes.append(_approve(bank, admin, asked))
        except BankError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=decide, args=(a,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lost = [o for o in outcomes if isinstance(o, BankError)]
    assert len(lost) == 1 and "approved already" in lost[0].message
    assert _balance(bank, savings.id) == Decimal("99.99")
    assert len(bank.store.ledger.history(savings.id, limit=5).items) == 1
    assert len([e for e in audit_lines(bank) if e.action is AuditAction.ACCOUNT_CLOSED]) == 1
    assert verify(bank).problems == []


def test_a_customers_money_keeps_moving_into_an_account_until_it_closes(bank):
    """A deposit between the request and the approval is moved too: the whole balance as it
    is at approval goes, never the amount of the request."""
    ada = new_customer(bank, deposit="5.00")
    savings = _second_account(bank, ada)
    asker, approver = make_staff(bank, Role.ADMIN), make_staff(bank, Role.ADMIN)
    asked = _ask(bank, asker, ada.account_id, savings.id)
    postings.deposit(bank, ada.user_id, ada.account_id, amount="7.50")
    _approve(bank, approver, asked)
    assert _balance(bank, savings.id) == Decimal("12.50")
    assert _balance(bank, ada.account_id) == 0


def test_through_the_pages_one_asks_with_the_destination_picker_and_another_approves(
    staff_app, app_bank, client
):
    ada = new_customer(app_bank, deposit="42.00")
    savings = _second_account(app_bank, ada)
    _, desk = staff_client(staff_app, app_bank, Role.COMPLIANCE_OFFICER)
    path = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/close"
    file = Page(desk.get(f"/staff/customers/{ada.user_id}"))
    assert path in [a.attrs.get("href") for a in file.find("a")]
    form = Page(desk.get(path))
    choices = [o.attrs.get("value") for o in form.find("option")]
    assert choices == [savings.id, "payout"]
    assert "42.00" in form.text
    refused = Page(desk.post(path, data={"reason": "", "detail": savings.id}))
    assert refused.status == 422 and refused.error("reason")
    wrong = Page(desk.post(path, data={"reason": "asked in branch", "detail": "elsewhere"}))
    assert wrong.status == 422 and "open account of this customer" in wrong.error("detail")
    asked = desk.post(path, data={"reason": "asked in branch", "detail": savings.id})
    assert asked.status_code == 302
    file = Page(desk.get(f"/staff/customers/{ada.user_id}"))
    assert "Close account and pay out its balance" in file.text
    assert "the balance to account" in file.text
    assert _balance(app_bank, ada.account_id) == Decimal("42.00")
    [request] = app_bank.store.approvals.pending_requests(limit=5)
    own = Page(desk.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True))
    assert "nobody approves or rejects their own request" in own.text
    _, analyst = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    listed = Page(analyst.get("/staff/approvals"))
    assert "the balance to account" in listed.text
    done = Page(analyst.post(f"/staff/approvals/{request.id}/approve", follow_redirects=True))
    assert "Approved: close account and pay out its balance." in done.flashes
    assert _balance(app_bank, savings.id) == Decimal("42.00")
    closed = app_bank.store.ledger.get_account(ada.account_id)
    assert (closed.status, closed.status_reason) == (AccountStatus.CLOSED, "closed by the bank")
    # The customer reads the move in both histories; nothing is posted to the closed one.
    token, _ = tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    mine = {"Authorization": f"Bearer {token}"}
    out = client.get(f"/api/v1/accounts/{ada.account_id}/transactions", headers=mine).json
    into = client.get(f"/api/v1/accounts/{savings.id}/transactions", headers=mine).json
    assert [line["amount"] for line in out["items"]] == ["-42.00", "42.00"]
    assert [line["amount"] for line in into["items"]] == ["42.00"]
    assert "Closing balance of account" in out["items"][0]["memo"]
    again = Page(desk.post(path, data={"reason": "again", "detail": "payout"}))
    assert again.status == 422 and "closed already" in again.text


STAFF = "/api/v1/staff"


def test_through_the_staff_api_with_a_detail(staff_app, client, app_bank):
    ada = new_customer(app_bank, deposit="15.00")
    bob = new_customer(app_bank, "Bob Stranger")
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    asker = {"Authorization": f"Bearer {token}"}
    body = {"action": "close_account", "target": ada.account_id, "reason": "by letter"}
    stranger = client.post(
        f"{STAFF}/approvals", json=body | {"detail": bob.account_id}, headers=asker
    )
    assert_problem(stranger, 422, "detail")
    bad = client.post(f"{STAFF}/approvals", json=body | {"detail": 7}, headers=asker)
    assert_problem(bad, 422, "detail")
    asked = client.post(f"{STAFF}/approvals", json=body, headers=asker)
    assert asked.status_code == 201
    assert (asked.json["action"], asked.json["detail"]) == ("close_account", "payout")
    _, other = staff_token(app_bank, Role.FINANCIAL_MANAGER)  # may ask, may not approve
    denied = client.post(
        f"{STAFF}/approvals/{asked.json['id']}/approve",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert denied.status_code == 403
    _, admin = staff_token(app_bank, Role.ADMIN)
    done = client.post(
        f"{STAFF}/approvals/{asked.json['id']}/approve",
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert done.status_code == 200 and done.json["status"] == "approved"
    account = app_bank.store.ledger.get_account(ada.account_id)
    assert account.status is AccountStatus.CLOSED and account.balance.amount == 0
    again = client.post(f"{STAFF}/approvals", json=body, headers=asker)
    assert_problem(again, 422, "target")
    assert verify(app_bank).problems == []


def test_an_approver_who_read_the_request_before_another_approved_it_is_told_so(bank, monkeypatch):
    """The race staged: the second approver's read of the request predates the first
    approval, so the account is closed already when their action runs. They learn the
    request was approved, and no money moves twice."""
    ada = new_customer(bank, deposit="12.00")
    savings = _second_account(bank, ada)
    asker = make_staff(bank, Role.FRAUD_ANALYST)
    first, second = (make_staff(bank, Role.ADMIN) for _ in range(2))
    asked = _ask(bank, asker, ada.account_id, savings.id)
    _approve(bank, first, asked)
    reads = iter([asked])
    real = bank.store.approvals.get_request
    monkeypatch.setattr(
        bank.store.approvals,
        "get_request",
        lambda request_id: next(reads, None) or real(request_id),
    )
    with pytest.raises(ValidationFailed, match="approved already"):
        _approve(bank, second, asked)
    assert _balance(bank, savings.id) == Decimal("12.00")
    assert len([e for e in audit_lines(bank) if e.action is AuditAction.ACCOUNT_CLOSED]) == 1
