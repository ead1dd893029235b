"""Freezing and unfreezing an account: who may, the required reason, what the customer then
can and cannot do and sees, and the audit line each leaves."""

from __future__ import annotations

import uuid

import pytest

from flaskbank.domain.accounts import AccountStatus, Role, format_account_number
from flaskbank.services.staff import FREEZE_MESSAGES
from test_staff_support import (
    IP,
    audit_lines,
    customer_signed_in,
    staff_client,
    with_staff,
)
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def ada(app, app_bank):
    return customer_signed_in(app, app_bank, "Ada Lovelace", deposit="100.00")


@pytest.fixture
def analyst(app, app_bank):
    return staff_client(app, app_bank, Role.FRAUD_ANALYST)


def freeze_path(who, action="freeze"):
    return f"/staff/customers/{who.user_id}/accounts/{who.account_id}/{action}"


def account(bank, who):
    return bank.store.ledger.get_account(who.account_id)


def frozen_lines(bank):
    return [
        e for e in audit_lines(bank) if e.action.value in ("account_frozen", "account_unfrozen")
    ]


def test_the_freeze_page_names_the_account_and_asks_for_a_reason(analyst, ada):
    _, client = analyst
    who, _ = ada
    page = Page(client.get(freeze_path(who)))
    assert page.status == 200
    assert format_account_number(who.account_number) in page.text
    assert page.find("label", for_="reason") and page.value("reason") == ""


def test_a_fraud_analyst_freezes_with_a_reason_and_it_is_audited(app_bank, analyst, ada):
    user, client = analyst
    who, _ = ada
    form = Page(client.get(freeze_path(who)))
    assert form.status == 200 and form.value("customer_message") == "review"
    response = client.post(
        freeze_path(who),
        data={"reason": "  card   reported stolen ", "customer_message": "contact"},
    )
    assert response.status_code == 302
    assert response.location == f"/staff/customers/{who.user_id}"
    found = account(app_bank, who)
    assert found.status is AccountStatus.FROZEN
    assert found.status_reason == FREEZE_MESSAGES["contact"]
    [line] = frozen_lines(app_bank)
    assert (line.action.value, line.actor_id, line.actor_email, line.ip, line.target) == (
        "account_frozen",
        user.id,
        user.email,
        IP,
        who.account_id,
    )
    assert line.details == {
        "number": who.account_number,
        "reason": "card reported stolen",
        "customer_message": "contact",
    }
    assert line.at[:10] == app_bank.now()[:10]
    page = Page(client.get(response.location))
    assert "Froze account" in " ".join(page.flashes)
    assert f"Status: Frozen (the customer is told: “{FREEZE_MESSAGES['contact']}”)" in page.text
    assert page.link("Ask to unfreeze this account") == freeze_path(who, "unfreeze")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_freeze_without_a_fitting_reason_is_refused_and_changes_nothing(
    app_bank, analyst, ada, reason
):
    _, client = analyst
    who, _ = ada
    page = Page(client.post(freeze_path(who), data={"reason": reason}))
    assert page.status == 422
    assert "give a reason" in page.error("reason").lower()
    assert account(app_bank, who).status is AccountStatus.OPEN
    assert frozen_lines(app_bank) == []


def test_a_financial_manager_cannot_freeze(app, app_bank, ada):
    _, client = staff_client(app, app_bank, Role.FINANCIAL_MANAGER)
    who, _ = ada
    for action in ("freeze", "unfreeze"):
        response = client.post(freeze_path(who, action), data={"reason": "because"})
        assert response.status_code == 403
    assert account(app_bank, who).status is AccountStatus.OPEN
    assert frozen_lines(app_bank) == []
    page = Page(client.get(f"/staff/customers/{who.user_id}"))
    assert page.link("Freeze this account") is None


def test_a_frozen_account_cannot_withdraw_and_the_customer_is_told_the_message_only(
    app_bank, analyst, ada
):
    _, staff = analyst
    who, customer = ada
    staff.post(
        freeze_path(who),
        data={"reason": "suspected money laundering", "customer_message": "verify"},
    )
    page = Page(
        customer.post(
            f"/accounts/{who.account_id}/withdraw",
            data={"amount": "10.00", "token": str(uuid.uuid4())},
        )
    )
    assert page.status == 422
    assert "frozen" in " ".join(page.form_errors + [page.error("amount")])
    assert str(account(app_bank, who).balance) == "100.00"
    dashboard = Page(customer.get("/"))
    [status] = dashboard.text_of("status")
    assert f"frozen: {FREEZE_MESSAGES['verify']}" in status and "cannot send money" in status
    [status] = Page(customer.get(f"/accounts/{who.account_id}/withdraw")).text_of("status")
    assert f"frozen: {FREEZE_MESSAGES['verify']}" in status
    for page in (dashboard, Page(customer.get(f"/accounts/{who.account_id}/history"))):
        assert "laundering" not in page.html


def test_a_frozen_account_cannot_transfer(app, app_bank, analyst, ada):
    _, staff = analyst
    who, customer = ada
    grace, _ = customer_signed_in(app, app_bank, "Grace Hopper", deposit=None)
    staff.post(freeze_path(who), data={"reason": "fraud check"})
    form = Page(customer.get("/transfer"))
    assert form.find("option", value=who.account_id) == []  # not offered as a source
    page = Page(
        customer.post(
            "/transfer",
            data={
                "from_account": who.account_id,
                "to_account_number": grace.account_number,
                "amount": "10.00",
                "token": str(uuid.uuid4()),
            },
        )
    )
    assert page.status == 422
    assert str(account(app_bank, who).balance) == "100.00"
    assert str(account(app_bank, grace).balance) == "0.00"


def test_unfreezing_lets_money_move_again_and_is_audited(app, app_bank, analyst, ada):
    user, staff = analyst
    who, customer = ada
    staff.post(freeze_path(who), data={"reason": "fraud check"})
    assert Page(staff.get(freeze_path(who, "unfreeze"))).status == 200
    page = Page(staff.post(freeze_path(who, "unfreeze"), data={"reason": ""}))
    assert page.status == 422 and page.error("reason")
    assert account(app_bank, who).status is AccountStatus.FROZEN
    response = staff.post(freeze_path(who, "unfreeze"), data={"reason": "customer verified"})
    assert response.status_code == 302
    # Asked for, not done: a second analyst approves.
    assert account(app_bank, who).status is AccountStatus.FROZEN
    [asked] = app_bank.store.approvals.pending_requests(limit=10)
    _, second = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    assert second.post(f"/staff/approvals/{asked.id}/approve").status_code == 302
    found = account(app_bank, who)
    assert found.status is AccountStatus.OPEN and found.status_reason == ""
    unfrozen, frozen = frozen_lines(app_bank)
    assert (
        unfrozen.action.value,
        unfrozen.details["requested_by"],
        unfrozen.details["reason"],
    ) == (
        "account_unfrozen",
        user.email,
        "customer verified",
    )
    assert frozen.action.value == "account_frozen"
    withdrawn = customer.post(
        f"/accounts/{who.account_id}/withdraw", data={"amount": "10.00", "token": str(uuid.uuid4())}
    )
    assert withdrawn.status_code == 302
    assert str(account(app_bank, who).balance) == "90.00"
    assert not Page(customer.get("/")).text_of("status")


def test_a_reason_with_markup_stays_text_and_internal(app_bank, analyst, ada):
    _, staff = analyst
    who, customer = ada
    reason = "<script>alert(1)</script> <b>x</b>"
    staff.post(freeze_path(who), data={"reason": reason})
    dashboard = Page(customer.get("/"))
    assert not dashboard.find("script") and not dashboard.find("b")
    assert "alert(1)" not in dashboard.html
    view = Page(staff.get(f"/staff/customers/{who.user_id}"))
    assert not view.find("script") and not view.find("b")


def test_a_message_that_is_not_the_banks_is_refused_and_changes_nothing(app_bank, analyst, ada):
    _, staff = analyst
    who, _ = ada
    page = Page(staff.post(freeze_path(who), data={"reason": "x", "customer_message": "aml"}))
    assert page.status == 422 and page.error("customer_message")
    assert account(app_bank, who).status is AccountStatus.OPEN


def test_an_account_of_someone_else_is_not_found_under_this_customer(app, app_bank, analyst, ada):
    _, staff = analyst
    who, _ = ada
    grace, _ = customer_signed_in(app, app_bank, "Grace Hopper")
    wrong = f"/staff/customers/{grace.user_id}/accounts/{who.account_id}/freeze"
    assert staff.get(wrong).status_code == 404
    assert staff.post(wrong, data={"reason": ""}).status_code == 404
    assert staff.get(f"/staff/customers/{who.user_id}/accounts/nope/freeze").status_code == 404
    assert (
        staff.post(
            f"/staff/customers/{who.user_id}/accounts/nope/freeze", data={"reason": "x"}
        ).status_code
        == 404
    )


def test_an_admin_may_freeze_too(app, app_bank, ada):
    _, admin = staff_client(app, app_bank, Role.ADMIN)
    who, _ = ada
    assert admin.post(freeze_path(who), data={"reason": "x"}).status_code == 302
    assert account(app_bank, who).status is AccountStatus.FROZEN
