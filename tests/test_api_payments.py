"""Paying someone and account housekeeping through the JSON API: saved payees, a transfer's
quote, nicknames, the primary account and closing; another customer's payee or account is
a 404, and bad input a 422 naming the field."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from conftest import at
from flaskbank.services import postings
from test_api_support import assert_problem, customer


@pytest.fixture
def pair(client, app_bank):
    return (
        customer(client, app_bank, "Ada Lovelace", deposit="100.00"),
        customer(client, app_bank, "Bob Builder"),
    )


def test_payees_are_saved_listed_renamed_and_removed(pair):
    ada, bob = pair
    made = ada.post("/payees", {"nickname": "Bob", "account_number": bob.account_number})
    assert made.status_code == 201
    payee = made.json
    assert made.headers["Location"].endswith(f"/payees/{payee['id']}")
    assert (payee["nickname"], payee["account_number"], payee["email"]) == (
        "Bob",
        bob.account_number,
        None,
    )
    by_mail = ada.post("/payees", {"nickname": "Bob by mail", "email": bob.email}).json
    assert [p["id"] for p in ada.get("/payees").json["items"]] == [payee["id"], by_mail["id"]]
    renamed = ada.patch(f"/payees/{payee['id']}", {"nickname": "Landlord"})
    assert renamed.status_code == 200 and renamed.json["nickname"] == "Landlord"
    assert ada.get(f"/payees/{payee['id']}").json["nickname"] == "Landlord"
    assert ada.delete(f"/payees/{by_mail['id']}").status_code == 204
    assert_problem(ada.get(f"/payees/{by_mail['id']}"), 404)
    assert [p["id"] for p in ada.get("/payees").json["items"]] == [payee["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nickname": "Bob", "account_number": "123456789012"}, "account_number"),
        ({"nickname": "", "email": "bob@example.com"}, "nickname"),
        ({"nickname": "Bob", "email": "bob"}, "email"),
        ({"account_number": "1"}, "nickname"),
        ({"nickname": "Bob", "email": 12}, "email"),
    ],
)
def test_a_bad_payee_is_a_422_naming_the_field(pair, body, field):
    ada, _ = pair
    assert_problem(ada.post("/payees", body), 422, field)
    assert ada.get("/payees").json["items"] == []


def test_another_customers_payee_is_a_404(pair):
    ada, bob = pair
    mine = ada.post("/payees", {"nickname": "Bob", "email": bob.email}).json
    assert bob.get("/payees").json["items"] == []
    assert_problem(bob.get(f"/payees/{mine['id']}"), 404)
    assert_problem(bob.patch(f"/payees/{mine['id']}", {"nickname": "x"}), 404)
    assert_problem(bob.delete(f"/payees/{mine['id']}"), 404)
    body = {"from_account_id": bob.account_id, "amount": "1.00", "payee_id": mine["id"]}
    assert_problem(bob.post("/transfers", body), 404)
    assert ada.get(f"/payees/{mine['id']}").json["nickname"] == "Bob"


def test_paying_a_payee(pair):
    ada, bob = pair
    payee = ada.post("/payees", {"nickname": "Bob", "account_number": bob.account_number}).json
    body = {"from_account_id": ada.account_id, "amount": "12.00", "payee_id": payee["id"]}
    sent = ada.post("/transfers", body, key="pay-1")
    assert sent.status_code == 201
    assert sent.json["counterparty"] == f"Bob B. · •••• {bob.account_number[-4:]}"
    assert ada.post("/transfers", body, key="pay-1").headers["Idempotent-Replayed"] == "true"
    assert (ada.balance(), bob.balance()) == ("88.00", "12.00")


def test_a_quote_says_what_a_transfer_would_do_and_moves_nothing(pair):
    ada, bob = pair
    body = {"from_account_id": ada.account_id, "amount": "30.00", "to_email": bob.email}
    quote = ada.post("/transfers/quote", body)
    assert quote.status_code == 200
    assert quote.json == {
        "from_account_id": ada.account_id,
        "amount": "30.00",
        "currency": "USD",
        "memo": "",
        "recipient": {
            "name": "Bob B.",
            "account_ending": bob.account_number[-4:],
            "own_account": False,
        },
    }
    assert bob.account_number not in quote.get_data(as_text=True)
    assert (ada.balance(), bob.balance()) == ("100.00", "0.00")
    too_much = {**body, "amount": "300.00"}
    assert_problem(ada.post("/transfers/quote", too_much), 422, "amount")
    assert_problem(
        ada.post("/transfers/quote", {**body, "to_email": "nobody@example.com"}), 422, "to_email"
    )


def test_nicknames_and_the_primary_account(pair):
    ada, bob = pair
    savings = ada.open("savings")
    assert savings["nickname"] == "" and savings["primary"] is False
    named = ada.patch(f"/accounts/{savings['id']}", {"nickname": "Rainy day"})
    assert named.status_code == 200 and named.json["nickname"] == "Rainy day"
    assert_problem(ada.patch(f"/accounts/{savings['id']}", {"nickname": "x" * 41}), 422, "nickname")
    chosen = ada.post(f"/accounts/{savings['id']}/primary", {})
    assert chosen.status_code == 200 and chosen.json["primary"] is True
    listed = {a["id"]: a["primary"] for a in ada.get("/accounts").json["items"]}
    assert listed == {ada.account_id: False, savings["id"]: True}
    assert_problem(bob.post(f"/accounts/{savings['id']}/primary", {}), 404)
    assert_problem(bob.patch(f"/accounts/{savings['id']}", {"nickname": "mine"}), 404)


def test_money_sent_by_email_lands_in_the_chosen_account(client, app_bank, pair):
    ada, bob = pair
    savings = bob.open("savings")
    bob.post(f"/accounts/{savings['id']}/primary", {})
    body = {"from_account_id": ada.account_id, "amount": "7.00", "to_email": bob.email}
    assert ada.post("/transfers", body).status_code == 201
    assert (bob.balance(), bob.balance(savings["id"])) == ("0.00", "7.00")


def test_closing_an_account(pair):
    ada, bob = pair
    problem = assert_problem(ada.post(f"/accounts/{ada.account_id}/close", {}), 409)
    assert "move the money out first" in problem["detail"]
    assert_problem(bob.post(f"/accounts/{ada.account_id}/close", {}), 404)
    ada.post(f"/accounts/{ada.account_id}/withdrawals", {"amount": "100.00"})
    closed = ada.post(f"/accounts/{ada.account_id}/close", {})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert ada.get(f"/accounts/{ada.account_id}").json["status"] == "closed"
    assert ada.get(f"/accounts/{ada.account_id}/transactions").status_code == 200
    assert_problem(ada.post(f"/accounts/{ada.account_id}/deposits", {"amount": "1.00"}), 422)


def test_the_open_accounts_limit(client, app_bank):
    app_bank.settings = replace(app_bank.settings, max_open_accounts=2)
    ada = customer(client, app_bank)
    ada.open("savings")
    problem = assert_problem(ada.post("/accounts", {"type": "savings"}), 422, "type")
    assert "at most 2 accounts" in problem["errors"]["type"]


def test_a_statement_as_pdf(client, app_bank):
    opened = datetime(2024, 12, 20, tzinfo=UTC)
    ada = customer(client, app_bank, "Ada Lovelace", opened=opened)
    with at(app_bank, datetime(2025, 1, 5, tzinfo=UTC)):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="1234.50", memo="pay")
    response = ada.get(f"/accounts/{ada.account_id}/statements/2025-01?format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('-2025-01.pdf"')
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Ada Lovelace" in text and "1,234.50 USD" in text
    assert_problem(ada.get(f"/accounts/{ada.account_id}/statements/2024-11?format=pdf"), 404)
    other = customer(client, app_bank, "Eve Hacker")
    assert_problem(other.get(f"/accounts/{ada.account_id}/statements/2025-01?format=pdf"), 404)
