"""Transfers in the browser: to an account number or to an email."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import format_account_number, luhn_check_digit
from flaskbank.services import accounts
from test_web_support import (
    BAD_AMOUNTS,
    PERSONAL,
    Page,
    balance,
    customer_client,
    review_fields,
    sign_in,
    token_of,
)

XSS = "<script>alert(1)</script>"


@pytest.fixture
def pair(app, app_bank):
    """Ada (100.00 USD, signed in) and Bob (0.00 USD)."""
    ada, client = customer_client(app, app_bank, deposit="100.00")
    bob = new_customer(app_bank, "Bob Builder")
    return ada, bob, client


def _send(client, ada, **fields):
    """Fill the form and, when it is accepted, confirm its review as a person would."""
    data = {
        "from_account": ada.account_id,
        "to_account_number": "",
        "to_email": "",
        "amount": "5.00",
        "memo": "",
        "token": token_of(client, "/transfer"),
        **fields,
    }
    response = client.post("/transfer", data=data)
    if response.status_code != 200:
        return response
    return client.post("/transfer", data=review_fields(Page(response)))


def test_the_form(pair):
    ada, _, client = pair
    page = Page(client.get("/transfer"))
    assert page.status == 200
    for name in ("from_account", "to_account_number", "to_email", "amount", "memo"):
        assert page.find("label", for_=name), name
    assert page.by_id("amount").attrs["inputmode"] == "decimal"
    assert page.by_id("memo").attrs["maxlength"] == "140"
    [option] = page.find("option")
    assert option.attrs["value"] == ada.account_id
    assert format_account_number(ada.account_number) in option.text
    assert "100.00 USD" in option.text


def test_the_dashboard_link_preselects_the_account(app, app_bank, pair):
    ada, _, client = pair
    savings = accounts.open_account(app_bank, ada.user_id, type="savings")
    page = Page(client.get("/"))
    link = [
        a.attrs["href"]
        for a in page.find("a")
        if a.text == "Transfer" and savings.id in a.attrs["href"]
    ]
    assert Page(client.get(link[0])).value("from_account") == savings.id
    assert Page(client.get("/transfer")).value("from_account") == ada.account_id


@pytest.mark.parametrize("how", ["number", "grouped number", "email"])
def test_transfer(app_bank, pair, how):
    ada, bob, client = pair
    to = {
        "number": {"to_account_number": bob.account_number},
        "grouped number": {"to_account_number": format_account_number(bob.account_number)},
        "email": {"to_email": bob.email},
    }[how]
    response = _send(client, ada, amount="12.50", memo="lunch", **to)
    assert response.status_code == 302 and response.location == "/"
    # The sender sees the recipient masked: a name and the last four digits.
    assert Page(client.get("/")).flashes == [
        f"Sent 12.50 USD to Bob B. · •••• {bob.account_number[-4:]}. Balance: 87.50 USD"
    ]
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("87.50", "12.50")


def test_the_recipient_sees_it(app, app_bank, pair):
    ada, bob, client = pair
    _send(client, ada, to_email=bob.email, amount="3.00", memo=XSS)
    page = Page(sign_in(app.test_client(), bob).get("/"))
    [row] = page.rows()
    assert row["Type"] == "Transfer"
    assert row["Amount"] == "+3.00 USD"
    assert row["Counterparty"] == f"Ada Lovelace · {format_account_number(ada.account_number)}"
    assert row["Memo"] == XSS  # shown as text:
    assert XSS not in page.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html


def test_a_double_submit_sends_once(app_bank, pair):
    ada, bob, client = pair
    data = {
        "from_account": ada.account_id,
        "to_account_number": bob.account_number,
        "to_email": "",
        "amount": "40.00",
        "memo": "",
        "token": token_of(client, "/transfer"),
        "confirmed": "yes",  # the review page's confirm button, clicked twice
    }
    assert client.post("/transfer", data=data).status_code == 302
    assert client.post("/transfer", data=data).status_code == 302
    assert "This was already posted" in Page(client.get("/")).flashes[-1]
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("60.00", "40.00")


def _valid_unknown_number() -> str:
    body = "12345678901"
    return body + luhn_check_digit(body)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "to_account_number", "give the recipient's account number or email"),
        ({"to_account_number": "BOB", "to_email": "BOB"}, "to_account_number", "not both"),
        ({"to_account_number": "1234"}, "to_account_number", "check the digits"),
        ({"to_account_number": "UNKNOWN"}, "to_account_number", "no account has that number"),
        ({"to_email": "nobody@example.com"}, "to_email", "no open USD account"),
        ({"to_account_number": "BOB", "memo": "m" * 141}, "memo", "at most 140"),
        ({"to_account_number": "BOB", "amount": "100.01"}, "amount", "insufficient funds"),
        (
            {"to_account_number": "BOB", "from_account": "BOBS"},
            "from_account",
            "Not a valid choice",
        ),
    ],
)
def test_transfer_refusals_keep_what_was_typed(app_bank, pair, fields, field, message):
    ada, bob, client = pair
    swap = {"BOB": bob.account_number, "BOBS": bob.account_id, "UNKNOWN": _valid_unknown_number()}
    fields = {k: swap.get(v, v) for k, v in fields.items()}
    page = Page(_send(client, ada, **fields))
    assert page.status == 422
    assert message in page.error(field)
    for name, value in fields.items():
        if name != "from_account":
            assert page.value(name) == value
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("100.00", "0.00")


@pytest.mark.parametrize(("amount", "message"), BAD_AMOUNTS)
def test_bad_amounts(app_bank, pair, amount, message):
    ada, bob, client = pair
    page = Page(_send(client, ada, to_account_number=bob.account_number, amount=amount))
    assert page.status == 422
    assert message in page.error("amount")
    assert page.value("amount") == amount
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("100.00", "0.00")


def test_to_the_same_account(app_bank, pair):
    ada, _, client = pair
    page = Page(_send(client, ada, to_account_number=ada.account_number))
    assert page.status == 422
    assert page.form_errors == ["choose a different account to send to"]
    assert balance(app_bank, ada) == "100.00"


def test_between_currencies(app_bank, pair):
    ada, _, client = pair
    euro = new_customer(app_bank, "Eve Euro", currency="EUR")
    page = Page(_send(client, ada, to_account_number=euro.account_number))
    assert page.status == 422
    assert "holds EUR" in page.error("amount")
    page = Page(_send(client, ada, to_email=euro.email))
    assert "no open USD account" in page.error("to_email")
    assert balance(app_bank, ada) == "100.00"


def test_without_an_account(app, app_bank):
    client = app.test_client()
    client.post(
        "/register",
        data={
            "email": "nora@example.com",
            "full_name": "Nora",
            "password": "nora's password",
            **PERSONAL,
        },
    )
    page = Page(client.get("/transfer"))
    assert page.status == 200
    assert "You need an open account" in page.text
    assert not page.find("form", method="post", action="/transfer")
