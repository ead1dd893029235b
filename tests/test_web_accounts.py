"""Opening accounts and the dashboard."""

from __future__ import annotations

import re

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import format_account_number
from flaskbank.services import accounts, customers, postings
from test_web_support import Page, customer_client, sign_in


def _newcomer(app, app_bank):
    user = customers.register(
        app_bank, email="new@example.com", full_name="Nora Newcomer", password="newcomer's password"
    )
    client = app.test_client()
    client.post("/login", data={"email": "new@example.com", "password": "newcomer's password"})
    return user, client


def test_a_new_customer_sees_an_empty_dashboard(app, app_bank):
    _, client = _newcomer(app, app_bank)
    page = Page(client.get("/"))
    assert page.status == 200
    assert "You have no accounts yet" in page.text
    assert page.link("Open an account") == "/accounts/new"


def test_the_form_offers_usd_first_and_checking(app, app_bank):
    _, client = _newcomer(app, app_bank)
    page = Page(client.get("/accounts/new"))
    assert page.value("currency") == "USD"
    assert page.value("type") == "checking"
    assert [o.attrs["value"] for o in page.find("option")] == [
        "checking",
        "savings",
        "USD",
        "EUR",
        "GBP",
    ]


@pytest.mark.parametrize(
    ("kind", "currency"),
    [
        ("checking", "USD"),
        ("savings", "USD"),
        ("checking", "EUR"),
        ("savings", "GBP"),
    ],
)
def test_open_accounts(app, app_bank, kind, currency):
    user, client = _newcomer(app, app_bank)
    response = client.post("/accounts/new", data={"type": kind, "currency": currency})
    assert response.status_code == 302 and response.location == "/"
    [account] = accounts.accounts_of(app_bank, user.id)
    assert (account.type.value, account.currency, str(account.balance)) == (kind, currency, "0.00")
    page = Page(client.get("/"))
    grouped = format_account_number(account.number)
    assert re.fullmatch(r"\d{4} \d{4} \d{4}", grouped)
    assert f"Opened {kind} account {grouped} in {currency}." in page.flashes
    assert grouped in page.text
    assert f"0.00 {currency}" in page.text


def test_several_accounts_per_customer(app, app_bank):
    user, client = _newcomer(app, app_bank)
    for kind, currency in (("checking", "USD"), ("savings", "USD"), ("checking", "EUR")):
        assert (
            client.post("/accounts/new", data={"type": kind, "currency": currency}).status_code
            == 302
        )
    mine = accounts.accounts_of(app_bank, user.id)
    assert len(mine) == 3
    page = Page(client.get("/"))
    headings = [" ".join(h.text.split()) for h in page.find("h2")]
    assert headings == [
        f"{a.type.value.capitalize()} {format_account_number(a.number)}" for a in mine
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "brokerage", "currency": "USD"}, "type"),
        ({"type": "", "currency": "USD"}, "type"),
        ({"type": "checking", "currency": "JPY"}, "currency"),
    ],
)
def test_open_account_refusals(app, app_bank, data, field):
    user, client = _newcomer(app, app_bank)
    page = Page(client.post("/accounts/new", data=data))
    assert page.status == 422
    assert page.error(field).startswith("choose")
    assert accounts.accounts_of(app_bank, user.id) == []


def test_dashboard_shows_balances_and_the_last_five_transactions(app, app_bank):
    ada, client = customer_client(app, app_bank)
    savings = accounts.open_account(app_bank, ada.user_id, type="savings", currency="EUR")
    for i in range(1, 8):
        postings.deposit(
            app_bank, ada.user_id, ada.account_id, amount=f"{i}.00", memo=f"deposit number {i}"
        )
    postings.deposit(app_bank, ada.user_id, savings.id, amount="1234.50")
    page = Page(client.get("/"))
    assert page.status == 200
    assert "28.00 USD" in page.text and "1,234.50 EUR" in page.text
    memos = [row["Memo"] for row in page.rows() if row["Memo"]]
    assert memos == [f"deposit number {i}" for i in (7, 6, 5, 4, 3)]
    assert len(page.rows()) == 6  # five lines of checking, one of savings


def test_dashboard_only_shows_my_accounts(app, app_bank):
    ada, client = customer_client(app, app_bank)
    bob = new_customer(app_bank, "Bob Builder", deposit="99.00")
    html = client.get("/").get_data(as_text=True)
    assert format_account_number(ada.account_number) in html
    assert format_account_number(bob.account_number) not in html
    assert bob.account_id not in html


def test_open_account_needs_a_login(client, app_bank):
    ada = new_customer(app_bank)
    response = client.post("/accounts/new", data={"type": "checking", "currency": "USD"})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert len(accounts.accounts_of(app_bank, ada.user_id)) == 1
    sign_in(client, ada)
