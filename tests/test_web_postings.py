"""Deposits and withdrawals in the browser: amounts, one-time tokens, confirmations, 404s."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import format_account_number
from flaskbank.services import accounts, history
from input_matrix import matrix
from test_web_support import BAD_AMOUNTS, Page, balance, customer_client, token_of

XSS = "<script>alert(1)</script>"


def _entries(bank, who):
    return history.history(bank, who.user_id, who.account_id, limit=100)[1].items


def test_the_form_has_a_labelled_decimal_amount_and_a_fresh_token(app, app_bank):
    ada, client = customer_client(app, app_bank)
    pages = [Page(client.get(f"/accounts/{ada.account_id}/deposit")) for _ in range(2)]
    for page in pages:
        amount = page.by_id("amount")
        assert (amount.attrs["type"], amount.attrs["inputmode"]) == ("text", "decimal")
        assert page.find("label", for_="amount") and page.find("label", for_="memo")
        assert page.by_id("memo").attrs["maxlength"] == "140"
        assert page.by_id("token").attrs["type"] == "hidden"
    assert pages[0].value("token") != pages[1].value("token")


def test_deposit(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/deposit"
    response = client.post(
        path, data={"amount": "12.34", "memo": "birthday", "token": token_of(client, path)}
    )
    assert response.status_code == 302 and response.location == "/"
    page = Page(client.get("/"))
    number = format_account_number(ada.account_number)
    assert page.flashes == [f"Deposited 12.34 USD to {number}. Balance: 112.34 USD"]
    assert balance(app_bank, ada) == "112.34"
    assert "112.34 USD" in page.text
    assert page.rows()[0]["Memo"] == "birthday"


def test_withdraw(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/withdraw"
    response = client.post(path, data={"amount": "20", "memo": "", "token": token_of(client, path)})
    assert response.status_code == 302
    number = format_account_number(ada.account_number)
    assert Page(client.get("/")).flashes == [
        f"Withdrew 20.00 USD from {number}. Balance: 80.00 USD"
    ]
    assert balance(app_bank, ada) == "80.00"


def test_a_double_submit_posts_once(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/deposit"
    form = {"amount": "12.34", "memo": "rent", "token": token_of(client, path)}
    first, second = client.post(path, data=form), client.post(path, data=form)
    assert first.status_code == second.status_code == 302
    page = Page(client.get("/"))
    assert page.flashes[0].startswith("Deposited 12.34 USD")
    assert page.flashes[1] == "This was already posted, so it was not posted again."
    assert balance(app_bank, ada) == "112.34"
    assert [e.memo for e in _entries(app_bank, ada)] == ["rent", ""]


def test_a_withdrawal_resubmitted_posts_once(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/withdraw"
    form = {"amount": "60.00", "token": token_of(client, path)}
    assert client.post(path, data=form).status_code == 302
    # The second one would overdraw the account if it were posted again.
    assert client.post(path, data=form).status_code == 302
    assert "This was already posted" in Page(client.get("/")).flashes[-1]
    assert balance(app_bank, ada) == "40.00"


def test_a_used_token_with_other_values_posts_nothing_and_renews_the_form(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/deposit"
    token = token_of(client, path)
    client.post(path, data={"amount": "1.00", "token": token})
    page = Page(client.post(path, data={"amount": "2.00", "token": token}))
    assert page.status == 409
    assert "already used to post something different" in page.form_errors[0]
    assert page.value("amount") == "2.00"
    fresh = page.value("token")
    assert fresh and fresh != token
    assert balance(app_bank, ada) == "101.00"
    assert client.post(path, data={"amount": "2.00", "token": fresh}).status_code == 302
    assert balance(app_bank, ada) == "103.00"


def test_a_form_without_its_token_posts_nothing(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    page = Page(client.post(f"/accounts/{ada.account_id}/deposit", data={"amount": "5.00"}))
    assert page.status == 422
    assert "one-time code" in page.form_errors[0]
    assert page.value("token")  # a new one, so the next submit can post
    assert balance(app_bank, ada) == "100.00"


@pytest.mark.parametrize(
    ("store_kind", "amount", "message", "kind"), matrix(BAD_AMOUNTS, ["deposit", "withdraw"])
)
def test_bad_amounts_are_refused_and_kept(app, app_bank, kind, amount, message):
    ada, client = customer_client(app, app_bank, deposit="9000.00")
    path = f"/accounts/{ada.account_id}/{kind}"
    token = token_of(client, path)
    page = Page(client.post(path, data={"amount": amount, "memo": "kept", "token": token}))
    assert page.status == 422
    assert message in page.error("amount")
    assert page.by_id("amount").attrs["aria-describedby"].split()[-1] == "amount-error"
    assert (page.value("amount"), page.value("memo"), page.value("token")) == (
        amount,
        "kept",
        token,
    )
    assert balance(app_bank, ada) == "9000.00"
    assert page.flashes == []


def test_the_limit_itself_is_allowed(app, app_bank):
    ada, client = customer_client(app, app_bank)
    path = f"/accounts/{ada.account_id}/deposit"
    assert (
        client.post(path, data={"amount": "10000.00", "token": token_of(client, path)}).status_code
        == 302
    )
    assert balance(app_bank, ada) == "10000.00"


def test_a_withdrawal_beyond_the_balance_is_refused(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="10.00")
    path = f"/accounts/{ada.account_id}/withdraw"
    page = Page(client.post(path, data={"amount": "10.01", "token": token_of(client, path)}))
    assert page.status == 422
    assert "insufficient funds" in page.error("amount")
    assert balance(app_bank, ada) == "10.00"


def test_a_memo_over_140_characters_is_refused(app, app_bank):
    ada, client = customer_client(app, app_bank)
    path = f"/accounts/{ada.account_id}/deposit"
    page = Page(
        client.post(
            path, data={"amount": "1.00", "memo": "m" * 141, "token": token_of(client, path)}
        )
    )
    assert page.status == 422
    assert "at most 140" in page.error("memo")
    assert page.value("memo") == "m" * 141
    assert balance(app_bank, ada) == "0.00"


def test_a_memo_with_markup_is_shown_as_text(app, app_bank):
    ada, client = customer_client(app, app_bank)
    path = f"/accounts/{ada.account_id}/deposit"
    client.post(path, data={"amount": "1.00", "memo": XSS, "token": token_of(client, path)})
    for page in (
        "/",
        f"/accounts/{ada.account_id}/history",
        f"/accounts/{ada.account_id}/statement",
    ):
        html = client.get(page).get_data(as_text=True)
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # and when a refused form shows it back
    html = client.post(
        path, data={"amount": "x", "memo": XSS, "token": token_of(client, path)}
    ).get_data(as_text=True)
    assert XSS not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/{id}/deposit"),
        ("post", "/accounts/{id}/deposit"),
        ("get", "/accounts/{id}/withdraw"),
        ("post", "/accounts/{id}/withdraw"),
        ("get", "/accounts/{id}/history"),
        ("get", "/accounts/{id}/statement"),
        ("get", "/accounts/{id}/statement.csv"),
        ("get", "/accounts/{id}/statement?month=2025-01"),
    ],
)
def test_another_customers_account_is_not_found(app, app_bank, method, path):
    bob = new_customer(app_bank, "Bob Builder", deposit="50.00")
    _, client = customer_client(app, app_bank)
    for account_id in (bob.account_id, "no-such-account"):
        response = getattr(client, method)(
            path.format(id=account_id), data={"amount": "1.00", "token": "t"}
        )
        assert response.status_code == 404
        page = Page(response)
        assert "Page not found" in page.text
        assert bob.account_number not in page.html
    assert accounts.account_of(app_bank, bob.user_id, bob.account_id).balance.amount == 50


def test_money_pages_need_a_login(client, app_bank):
    ada = new_customer(app_bank, deposit="5.00")
    response = client.post(
        f"/accounts/{ada.account_id}/withdraw", data={"amount": "5.00", "token": "t"}
    )
    assert response.status_code == 302 and response.location.startswith("/login")
    assert balance(app_bank, ada) == "5.00"


@pytest.mark.parametrize(("typed", "posted"), [("1,000.00", "1000.00"), (" 2,500 ", "2500.00")])
def test_an_amount_typed_as_the_pages_show_it_is_accepted(app, app_bank, typed, posted):
    ada, client = customer_client(app, app_bank, deposit="100.00")
    path = f"/accounts/{ada.account_id}/deposit"
    response = client.post(path, data={"amount": typed, "token": token_of(client, path)})
    assert response.status_code == 302
    assert balance(app_bank, ada) == f"{100 + int(posted.split('.')[0])}.00"
