"""Holds in the browser: the customer sees what is pending and what is available, and can
cancel a transfer waiting for review; a fraud analyst places a hold and decides on pending
transfers from the customer view, each audited."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from test_staff_support import audit_lines, customer_signed_in, staff_client, with_staff
from test_web_support import Page, token_of


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def reviewing(app_bank):
    app_bank.settings = replace(app_bank.settings, review_threshold=Decimal("500.00"))
    return app_bank


def account(bank, who):
    return bank.store.ledger.get_account(who.account_id)


def test_a_transfer_waiting_for_review_shows_as_pending_and_can_be_cancelled(app, reviewing):
    ada, client = customer_signed_in(app, reviewing, "Ada Lovelace", deposit="900.00")
    bob, _ = customer_signed_in(app, reviewing, "Bob Stone", deposit=None)
    response = client.post(
        "/transfer",
        data={
            "from_account": ada.account_id,
            "amount": "600.00",
            "to_account_number": bob.account_number,
            "memo": "car",
            "token": token_of(client, "/transfer"),
            "confirmed": "yes",  # as the review page sends it
        },
    )
    assert response.status_code == 302
    page = Page(client.get("/"))
    assert "waiting for review" in " ".join(page.flashes) and "nothing has been sent" in page.text
    assert "Available: 300.00 USD · on hold: 600.00 USD" in page.text
    [row] = [r for r in page.rows() if r.get("Amount held")]
    assert row["Amount held"] == "600.00 USD" and "Bob S. · ••••" in row["What"]
    history = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert "waiting for review" in history.text and "on hold: 600.00 USD" in history.text
    [form] = [f for f in page.find("form") if "/cancel" in f.attrs.get("action", "")]
    done = client.post(form.attrs["action"])
    assert done.status_code == 302
    after = Page(client.get("/"))
    assert "Cancelled the transfer of 600.00 USD" in " ".join(after.flashes)
    assert "on hold" not in after.text and account(reviewing, ada).held_minor == 0
    assert account(reviewing, bob).balance.minor == 0


def test_a_fraud_analyst_places_a_hold_and_releases_a_pending_transfer(app, reviewing):
    ada, customer = customer_signed_in(app, reviewing, "Ada Lovelace", deposit="900.00")
    bob, _ = customer_signed_in(app, reviewing, "Bob Stone", deposit=None)
    pending = postings.transfer(
        reviewing,
        ada.user_id,
        ada.account_id,
        amount="600.00",
        to_account_number=bob.account_number,
    )
    analyst, staff = staff_client(app, reviewing, Role.FRAUD_ANALYST)
    view = f"/staff/customers/{ada.user_id}"
    page = Page(staff.get(view))
    assert "Transfer to Bob S. · ••••" in page.text and "waiting for review" in page.text
    hold_page = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/hold"
    assert page.link("Place a hold") == hold_page
    refused = Page(staff.post(hold_page, data={"amount": "300.01", "reason": "levy"}))
    assert refused.status == 422 and "available balance is 300.00" in refused.error("amount")
    placed = staff.post(hold_page, data={"amount": "100.00", "reason": "levy 7"})
    assert placed.status_code == 302 and account(reviewing, ada).held.amount == Decimal("700.00")
    release = f"{view}/accounts/{ada.account_id}/holds/{pending.id}/release"
    sent = staff.post(release)
    assert sent.status_code == 302
    assert "Sent the transfer (600.00 USD)" in " ".join(Page(staff.get(view)).flashes)
    assert account(reviewing, bob).balance.amount == Decimal("600.00")
    again = staff.post(release)
    assert "Someone resolved that hold first" in " ".join(Page(staff.get(again.location)).flashes)
    actions = [(e.action.value, e.actor_id) for e in audit_lines(reviewing)]
    assert ("hold_placed", analyst.id) in actions and ("hold_released", analyst.id) in actions
    dashboard = Page(customer.get("/"))
    assert "Held by the bank: levy 7" in dashboard.text
    assert not [f for f in dashboard.find("form") if "/cancel" in f.attrs.get("action", "")]


def test_a_financial_manager_sees_holds_but_cannot_decide(app, reviewing):
    ada, _ = customer_signed_in(app, reviewing, "Ada Lovelace", deposit="900.00")
    bob, _ = customer_signed_in(app, reviewing, "Bob Stone", deposit=None)
    pending = postings.transfer(
        reviewing,
        ada.user_id,
        ada.account_id,
        amount="600.00",
        to_account_number=bob.account_number,
    )
    _, manager = staff_client(app, reviewing, Role.FINANCIAL_MANAGER)
    page = Page(manager.get(f"/staff/customers/{ada.user_id}"))
    assert "waiting for review" in page.text and "Release (send)" not in page.text
    path = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/holds/{pending.id}/void"
    assert manager.post(path).status_code == 403
    assert account(reviewing, ada).held_minor == 60_000
