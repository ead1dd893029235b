"""Paying someone in the browser: the review before money leaves, the picker for one's own
accounts, and saved payees (another customer's are a 404)."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.services import accounts, payees
from test_web_support import (
    Page,
    assert_controls_labelled,
    balance,
    customer_client,
    review_fields,
    sign_in,
    token_of,
)


@pytest.fixture
def pair(app, app_bank):
    """Ada (100.00 USD, signed in) and Bob Builder (0.00 USD)."""
    ada, client = customer_client(app, app_bank, deposit="100.00")
    bob = new_customer(app_bank, "Bob Builder")
    return ada, bob, client


def _form(client, ada, **fields):
    data = {
        "from_account": ada.account_id,
        "amount": "25.00",
        "memo": "rent",
        "token": token_of(client, "/transfer"),
        **fields,
    }
    return client.post("/transfer", data=data)


def test_nothing_leaves_before_the_review_is_confirmed(app_bank, pair):
    ada, bob, client = pair
    review = Page(_form(client, ada, to_email=bob.email))
    assert review.status == 200
    assert review.find("h1")[0].text == "Review your transfer"
    assert "25.00 USD" in review.text
    assert f"Bob B. •••• {bob.account_number[-4:]}" in review.text
    assert bob.account_number not in review.html and "Builder" not in review.html
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("100.00", "0.00")
    confirm = review_fields(review)
    assert confirm["confirmed"] == "yes" and confirm["to_email"] == bob.email
    # A double click on "Confirm and send" posts once: the form's token goes with both.
    assert client.post("/transfer", data=confirm).status_code == 302
    assert client.post("/transfer", data=confirm).status_code == 302
    assert (balance(app_bank, ada), balance(app_bank, bob)) == ("75.00", "25.00")
    assert "already posted" in Page(client.get("/")).flashes[-1]


def test_change_details_goes_back_to_the_form_as_typed(app_bank, pair):
    ada, bob, client = pair
    review = Page(_form(client, ada, to_account_number=bob.account_number))
    back = Page(client.post("/transfer", data={**review_fields(review), "edit": "1"}))
    assert back.status == 200 and back.find("h1")[0].text == "Transfer money"
    assert (back.value("amount"), back.value("memo")) == ("25.00", "rent")
    assert back.value("to_account_number") == bob.account_number
    assert back.value("confirmed") == ""  # the form itself always goes to the review
    assert balance(app_bank, bob) == "0.00"


def test_a_refusal_at_the_review_keeps_what_was_typed(app_bank, pair):
    ada, bob, client = pair
    page = Page(_form(client, ada, to_account_number=bob.account_number, amount="500.00"))
    assert page.status == 422
    assert "insufficient funds" in page.error("amount")
    assert page.value("amount") == "500.00"


def test_a_refusal_at_confirm_shows_the_form(app_bank, pair):
    ada, bob, client = pair
    review = Page(_form(client, ada, to_account_number=bob.account_number, amount="90.00"))
    from flaskbank.services import postings

    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="50.00")
    page = Page(client.post("/transfer", data=review_fields(review)))
    assert page.status == 422 and "insufficient funds" in page.error("amount")
    assert balance(app_bank, bob) == "0.00"


def test_moving_money_between_ones_own_accounts_by_picking_one(app_bank, pair):
    ada, _, client = pair
    savings = accounts.open_account(app_bank, ada.user_id, type="savings")
    accounts.rename_account(app_bank, ada.user_id, savings.id, "Rainy day")
    form = Page(client.get("/transfer"))
    offered = [o.attrs["value"] for o in form.find("option") if o.attrs.get("value")]
    assert savings.id in offered
    assert_controls_labelled(form)
    review = Page(_form(client, ada, to_own_account=savings.id))
    assert (
        f"Rainy day •••• {savings.number[-4:]}" in review.text and "(your account)" in review.text
    )
    assert client.post("/transfer", data=review_fields(review)).status_code == 302
    assert balance(app_bank, ada, savings.id) == "25.00"


def test_picking_an_account_and_typing_a_number_is_one_recipient_too_many(app_bank, pair):
    ada, bob, client = pair
    savings = accounts.open_account(app_bank, ada.user_id, type="savings")
    page = Page(_form(client, ada, to_own_account=savings.id, to_account_number=bob.account_number))
    assert page.status == 422 and "not both" in page.error("to_own_account")


def test_someone_elses_account_cannot_be_picked(app_bank, pair):
    ada, bob, client = pair
    accounts.open_account(app_bank, ada.user_id, type="savings")
    page = Page(_form(client, ada, to_own_account=bob.account_id))
    assert page.status == 422 and "Not a valid choice" in page.error("to_own_account")
    assert balance(app_bank, bob) == "0.00"


def test_payees_are_added_listed_renamed_paid_and_removed(app_bank, pair):
    ada, bob, client = pair
    page = Page(client.get("/payees"))
    assert page.status == 200 and "No payees yet" in page.text
    assert_controls_labelled(page)
    added = client.post(
        "/payees", data={"nickname": "Bob", "account_number": bob.account_number, "email": ""}
    )
    assert added.status_code == 302
    [payee] = payees.payees_of(app_bank, ada.user_id)
    listed = Page(client.get("/payees"))
    assert listed.rows() == [
        {
            "Nickname": "Bob",
            "Pays to": " ".join([bob.account_number[i : i + 4] for i in (0, 4, 8)]),
            "Actions": listed.rows()[0]["Actions"],
        }
    ]
    assert (
        client.post(f"/payees/{payee.id}/rename", data={"nickname": "Landlord"}).status_code == 302
    )
    assert "Renamed the payee to Landlord." in Page(client.get("/payees")).flashes
    pay = Page(client.get(f"/transfer?payee={payee.id}"))
    assert pay.value("payee_id") == payee.id
    review = Page(_form(client, ada, payee_id=payee.id))
    assert f"Bob B. •••• {bob.account_number[-4:]}" in review.text
    assert client.post("/transfer", data=review_fields(review)).status_code == 302
    assert balance(app_bank, bob) == "25.00"
    assert client.post(f"/payees/{payee.id}/remove").status_code == 302
    assert payees.payees_of(app_bank, ada.user_id) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"nickname": "", "account_number": "1"}, "nickname", "give a nickname"),
        (
            {"nickname": "Bob", "account_number": "123456789012"},
            "account_number",
            "check the digits",
        ),
        ({"nickname": "Bob", "email": "bob"}, "email", "name@example.com"),
        ({"nickname": "Bob"}, "account_number", "account number or email"),
    ],
)
def test_a_payee_the_bank_refuses_keeps_what_was_typed(app_bank, pair, fields, field, message):
    ada, _, client = pair
    page = Page(client.post("/payees", data=fields))
    assert page.status == 422 and message in page.error(field)
    assert page.value("nickname") == fields["nickname"]
    assert payees.payees_of(app_bank, ada.user_id) == []


def test_another_customers_payee_is_a_404(app, app_bank, pair):
    ada, bob, client = pair
    mine = payees.add_payee(app_bank, ada.user_id, nickname="Bob", email=bob.email)
    eve = sign_in(app.test_client(), new_customer(app_bank, "Eve Hacker"))
    assert eve.post(f"/payees/{mine.id}/rename", data={"nickname": "x"}).status_code == 404
    assert eve.post(f"/payees/{mine.id}/remove").status_code == 404
    assert "Bob" not in Page(eve.get("/payees")).text
    page = Page(eve.get(f"/transfer?payee={mine.id}"))
    assert not [o for o in page.find("option") if o.attrs.get("value") == mine.id]
    assert payees.payee_of(app_bank, ada.user_id, mine.id).nickname == "Bob"
