"""An account's settings in the browser (nickname, primary, closing) and its statement as a
PDF: what the owner sees, and the 404 anyone else gets."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from conftest import at, new_customer
from flaskbank.domain.accounts import AccountStatus
from flaskbank.domain.security import AuditAction
from flaskbank.services import accounts, customers, postings
from test_web_support import Page, assert_controls_labelled, customer_client, sign_in

OPENED = datetime(2024, 12, 20, tzinfo=UTC)


def test_a_nickname_shows_on_the_dashboard_history_and_statement(app_bank, app, client):
    ada, client = customer_client(app, app_bank, deposit="10.00")
    settings = Page(client.get(f"/accounts/{ada.account_id}/settings"))
    assert settings.status == 200
    assert_controls_labelled(settings)
    saved = client.post(f"/accounts/{ada.account_id}/nickname", data={"nickname": "Bills"})
    assert saved.status_code == 302
    for path in (
        "/",
        f"/accounts/{ada.account_id}/history",
        f"/accounts/{ada.account_id}/statement",
    ):
        assert "Bills" in Page(client.get(path)).text_of("nickname"), path
    page = Page(client.post(f"/accounts/{ada.account_id}/nickname", data={"nickname": "x" * 41}))
    assert page.status == 422 and "at most 40" in page.error("nickname")
    assert app_bank.store.ledger.get_account(ada.account_id).nickname == "Bills"


def test_choosing_the_primary_account(app, app_bank):
    ada, client = customer_client(app, app_bank)
    savings = accounts.open_account(app_bank, ada.user_id, type="savings")
    assert client.post(f"/accounts/{savings.id}/primary").status_code == 302
    assert "now arrives in this account" in " ".join(Page(client.get("/")).flashes)
    assert app_bank.store.ledger.get_account(savings.id).primary
    assert "receives money sent to your email" in Page(client.get("/")).text


def test_closing_asks_to_move_the_money_out_first(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="10.00")
    page = Page(client.post(f"/accounts/{ada.account_id}/close"))
    assert page.status == 409
    assert any("move the money out first" in m for m in page.form_errors)
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="10.00")
    assert client.post(f"/accounts/{ada.account_id}/close").status_code == 302
    dashboard = Page(client.get("/"))
    assert "This account is closed" in dashboard.text
    assert dashboard.link("Deposit") is None and dashboard.link("History")
    assert Page(client.get(f"/accounts/{ada.account_id}/history")).status == 200
    [entry] = app_bank.store.audit.audit_log(limit=5, action=AuditAction.ACCOUNT_CLOSED).items
    assert entry.target == ada.account_id
    refused = Page(
        client.post(
            f"/accounts/{ada.account_id}/deposit",
            data={"amount": "1.00", "memo": "", "token": "t-1"},
        )
    )
    assert refused.status == 422


def test_someone_elses_account_settings_are_a_404(app, app_bank):
    ada, _ = customer_client(app, app_bank)
    eve = sign_in(app.test_client(), new_customer(app_bank, "Eve Hacker"))
    for method, path in (
        ("get", f"/accounts/{ada.account_id}/settings"),
        ("post", f"/accounts/{ada.account_id}/nickname"),
        ("post", f"/accounts/{ada.account_id}/primary"),
        ("post", f"/accounts/{ada.account_id}/close"),
        ("get", f"/accounts/{ada.account_id}/statement.pdf"),
    ):
        assert getattr(eve, method)(path, data={"nickname": "mine"}).status_code == 404, path
    assert app_bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN


def test_the_open_accounts_limit_is_a_message_on_the_form(app, app_bank):
    from dataclasses import replace

    app_bank.settings = replace(app_bank.settings, max_open_accounts=1)
    _, client = customer_client(app, app_bank)
    page = Page(client.post("/accounts/new", data={"type": "savings", "currency": "USD"}))
    assert page.status == 422 and "at most 1 accounts" in page.error("type")


# -- the PDF statement -----------------------------------------------------------------------


@pytest.fixture
def february(app, app_bank):
    ada, client = customer_client(app, app_bank, name="Alice Liddell", opened=OPENED)
    bob = new_customer(app_bank, "Bob Builder", opened=OPENED)
    accounts.rename_account(app_bank, ada.user_id, ada.account_id, "Household")
    customers.update_profile(app_bank, ada.user_id, address="7 Rabbit Hole\nOxford OX1 1AA")
    with at(app_bank, datetime(2025, 1, 31, tzinfo=UTC)):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="1200.00", memo="pay")
    with at(app_bank, datetime(2025, 2, 3, tzinfo=UTC)):
        postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="20.00", memo="cash")
        postings.transfer(
            app_bank,
            ada.user_id,
            ada.account_id,
            amount="105.55",
            to_account_number=bob.account_number,
            memo="rent",
        )
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="0.01", memo="interest")
    return ada, client, bob


def _text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def _amounts(line: str) -> list[Decimal]:
    return [Decimal(a.replace(",", "")) for a in re.findall(r"[-+]?[0-9][0-9,]*\.[0-9]{2}", line)]


def test_the_pdf_statement_adds_up(february):
    ada, client, bob = february
    page = Page(
        client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": "2025-02"})
    )
    link = page.link("Download PDF")
    assert link == f"/accounts/{ada.account_id}/statement.pdf?month=2025-02"
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "statement-" in response.headers["Content-Disposition"]
    text = _text(response)
    for expected in (
        "Flask Bank",
        "Alice Liddell",
        "7 Rabbit Hole",  # the letterhead's address block: name, then address lines
        "Oxford OX1 1AA",
        "Household",
        "2025-02",
        ada.account_number[-4:],
    ):
        assert expected in text.replace(" ", "") or expected in text, expected
    lines = text.splitlines()
    [opening] = [_amounts(line)[-1] for line in lines if line.startswith("Opening balance")]
    [closing] = [_amounts(line)[-1] for line in lines if line.startswith("Closing balance")]
    movements = [
        _amounts(line)[-2] for line in lines if re.match(r"^2025-02-\d\d \d\d:\d\d UTC", line)
    ]
    assert opening == Decimal("1200.00")
    assert movements == [Decimal("-20.00"), Decimal("-105.55"), Decimal("0.01")]
    assert opening + sum(movements) == closing == Decimal("1074.46")
    assert "1,200.00 USD" in text  # the app's own formatting
    assert f"Bob B. · •••• {bob.account_number[-4:]}" in text


@pytest.mark.parametrize("month", ["2024-11", "9999-01"])
def test_a_pdf_for_a_month_outside_the_accounts_life_is_a_404(february, month):
    ada, client, _ = february
    response = client.get(
        f"/accounts/{ada.account_id}/statement.pdf", query_string={"month": month}
    )
    assert response.status_code == 404


def test_a_closed_accounts_statement_stays_readable(app_bank, february):
    ada, client, _ = february
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="1074.46")
    assert client.post(f"/accounts/{ada.account_id}/close").status_code == 302
    response = client.get(
        f"/accounts/{ada.account_id}/statement.pdf", query_string={"month": "2025-02"}
    )
    assert response.status_code == 200 and "1,074.46 USD" in _text(response)
