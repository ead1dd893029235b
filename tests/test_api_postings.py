"""Deposits, withdrawals and transfers through the API: amounts, refusals, idempotency."""

from __future__ import annotations

import pytest

from flaskbank.domain.accounts import AccountStatus, luhn_check_digit
from input_matrix import matrix
from test_api_support import assert_problem, customer

TXN_KEYS = {
    "id",
    "type",
    "amount",
    "currency",
    "balance_after",
    "account_id",
    "counterparty",
    "memo",
    "created_at",
}


def _routes(alice, bob):
    """(path, body without amount) for each money-moving route, from alice's account."""
    return {
        "deposit": (f"/accounts/{alice.account_id}/deposits", {}),
        "withdrawal": (f"/accounts/{alice.account_id}/withdrawals", {}),
        "transfer": (
            "/transfers",
            {"from_account_id": alice.account_id, "to_account_number": bob.account_number},
        ),
    }


ROUTES = ["deposit", "withdrawal", "transfer"]


def test_deposit(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.post(
        f"/accounts/{alice.account_id}/deposits", {"amount": "12.34", "memo": "birthday"}
    )
    assert response.status_code == 201
    body = response.json
    assert set(body) == TXN_KEYS
    assert body["type"] == "deposit"
    assert (body["amount"], body["balance_after"], body["currency"]) == ("12.34", "12.34", "USD")
    assert body["account_id"] == alice.account_id
    assert body["memo"] == "birthday"
    assert "Idempotent-Replayed" not in response.headers
    assert alice.balance() == "12.34"


def test_withdrawal_amount_is_negative_from_the_account(client, app_bank):
    alice = customer(client, app_bank, deposit="50.00")
    response = alice.post(f"/accounts/{alice.account_id}/withdrawals", {"amount": "20"})
    assert response.status_code == 201
    assert response.json["type"] == "withdrawal"
    assert (response.json["amount"], response.json["balance_after"]) == ("-20.00", "30.00")
    assert alice.balance() == "30.00"


def test_transfer_by_account_number(client, app_bank):
    alice = customer(client, app_bank, "Alice Liddell", deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    number = f"{bob.account_number[:4]} {bob.account_number[4:8]}-{bob.account_number[8:]}"
    response = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "to_account_number": number,
            "amount": "25.50",
            "memo": "lunch",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert set(body) == TXN_KEYS
    assert (body["type"], body["amount"], body["balance_after"]) == ("transfer", "-25.50", "74.50")
    assert body["account_id"] == alice.account_id
    # The sender sees a masked name and the last four digits, never the number.
    assert body["counterparty"] == f"Bob B. · •••• {bob.account_number[-4:]}"
    assert (alice.balance(), bob.balance()) == ("74.50", "25.50")
    [received] = bob.history()
    assert (received["id"], received["amount"]) == (body["id"], "25.50")
    assert "Alice Liddell" in received["counterparty"]


def test_transfer_by_email_picks_the_first_open_account_in_the_currency(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00", currency="EUR")
    bob = customer(client, app_bank, "Bob Builder")  # his first account holds USD
    frozen = bob.open(currency="EUR")
    app_bank.store.ledger.set_account_status(frozen["id"], AccountStatus.FROZEN)
    first_open = bob.open(currency="EUR")
    later = bob.open(currency="EUR")
    response = alice.post(
        "/transfers",
        {"from_account_id": alice.account_id, "to_email": bob.email.upper(), "amount": "10.00"},
    )
    assert response.status_code == 201, response.json
    assert bob.balance(first_open["id"]) == "10.00"
    assert bob.balance(later["id"]) == bob.balance(frozen["id"]) == "0.00"
    assert bob.balance() == "0.00"


@pytest.mark.parametrize("to_email", ["nobody@example.com", "BOB"])
def test_transfer_by_email_without_a_matching_account_is_a_422(client, app_bank, to_email):
    alice = customer(client, app_bank, deposit="100.00", currency="GBP")
    bob = customer(client, app_bank, "Bob Builder")  # USD only
    body = {
        "from_account_id": alice.account_id,
        "amount": "10.00",
        "to_email": bob.email if to_email == "BOB" else to_email,
    }
    assert_problem(alice.post("/transfers", body), 422, "to_email")
    assert alice.balance() == "100.00"


def test_a_transfer_to_ones_own_email_goes_to_ones_other_account(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    alice.open(currency="EUR")  # not in the source's currency: not a candidate
    savings = alice.open("savings")
    response = alice.post(
        "/transfers",
        {"from_account_id": alice.account_id, "to_email": alice.email.upper(), "amount": "30.00"},
    )
    assert response.status_code == 201, response.json
    assert (alice.balance(), alice.balance(savings["id"])) == ("70.00", "30.00")


def test_a_transfer_to_ones_own_email_asks_which_account_or_is_the_same_account(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    body = {"from_account_id": alice.account_id, "to_email": alice.email, "amount": "1.00"}
    assert_problem(alice.post("/transfers", body), 422)  # no other account: the same one
    alice.open("savings")
    alice.open("savings")
    problem = assert_problem(alice.post("/transfers", body), 422, "to_email")
    assert problem["errors"]["to_email"] == "you have several accounts; give the account number"
    assert alice.balance() == "100.00"


def test_a_transfer_to_a_fullwidth_look_alike_email_reaches_its_owner(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    look_alike = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in bob.email[:3])
    response = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "amount": "5.00",
            "to_email": look_alike + bob.email[3:],
        },
    )
    assert response.status_code == 201, response.json
    assert bob.balance() == "5.00"


_DIGITS = "12345678901"
WRONG_CHECK_DIGIT = _DIGITS + str((int(luhn_check_digit(_DIGITS)) + 1) % 10)


@pytest.mark.parametrize(
    ("recipient", "field"),
    [
        ({}, "to_account_number"),
        ({"to_account_number": None, "to_email": None}, "to_account_number"),
        ({"to_account_number": "1234"}, "to_account_number"),
        ({"to_account_number": WRONG_CHECK_DIGIT}, "to_account_number"),
        ({"to_account_number": 123456789012}, "to_account_number"),
        ({"to_email": ["bob@example.com"]}, "to_email"),
        ({"to_email": "bob@example.com", "to_account_number": "123"}, "to_account_number"),
        ({"to_email": "bob@example.com", "from_account_id": None}, "from_account_id"),
        ({"to_email": "bob@example.com", "from_account_id": 1}, "from_account_id"),
    ],
)
def test_transfer_field_errors(client, app_bank, recipient, field):
    alice = customer(client, app_bank, deposit="100.00")
    body = {"from_account_id": alice.account_id, "amount": "1.00", **recipient}
    assert_problem(alice.post("/transfers", body), 422, field)
    assert alice.balance() == "100.00"


def test_transfer_to_an_unknown_number_is_a_422(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    body = "10000000000"
    number = body + luhn_check_digit(body)
    response = alice.post(
        "/transfers",
        {"from_account_id": alice.account_id, "amount": "1.00", "to_account_number": number},
    )
    assert_problem(response, 422, "to_account_number")


def test_transfer_to_the_same_account_is_a_422(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    response = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "amount": "1.00",
            "to_account_number": alice.account_number,
        },
    )
    assert_problem(response, 422)
    assert alice.balance() == "100.00"
    assert len(alice.history()) == 1


def test_transfer_across_currencies_is_a_422(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder", currency="EUR")
    response = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "amount": "1.00",
            "to_account_number": bob.account_number,
        },
    )
    assert_problem(response, 422)
    assert (alice.balance(), bob.balance()) == ("100.00", "0.00")


@pytest.mark.parametrize("route", ["withdrawal", "transfer"])
def test_insufficient_funds_is_a_422_and_changes_nothing(client, app_bank, route):
    alice, bob = customer(client, app_bank, deposit="10.00"), customer(client, app_bank, "Bob B")
    path, body = _routes(alice, bob)[route]
    assert_problem(alice.post(path, {**body, "amount": "10.01"}), 422, "amount")
    assert (alice.balance(), bob.balance()) == ("10.00", "0.00")
    assert len(alice.history()) == 1


def test_a_frozen_account_cannot_send(client, app_bank):
    alice = customer(client, app_bank, deposit="10.00")
    app_bank.store.ledger.set_account_status(alice.account_id, AccountStatus.FROZEN)
    response = alice.post(f"/accounts/{alice.account_id}/withdrawals", {"amount": "1.00"})
    assert_problem(response, 422)
    assert alice.balance() == "10.00"


AMOUNTS = [
    pytest.param(12.34, id="json-number"),
    pytest.param(12, id="json-integer"),
    pytest.param("1.234", id="three-decimals"),
    pytest.param("0", id="zero"),
    pytest.param("0.00", id="zero-cents"),
    pytest.param("-5", id="negative"),
    pytest.param("+5", id="plus-sign"),
    pytest.param("abc", id="text"),
    pytest.param("NaN", id="nan"),
    pytest.param("1e3", id="exponent"),
    pytest.param("Infinity", id="infinity"),
    pytest.param("", id="empty"),
    pytest.param("1,000.00", id="thousands"),
    pytest.param("10000.01", id="over-limit"),
    pytest.param(None, id="null"),
    pytest.param(True, id="bool"),
    pytest.param(["1.00"], id="array"),
    pytest.param({"value": "1.00"}, id="object"),
    pytest.param(..., id="missing"),
]


@pytest.mark.parametrize(("store_kind", "amount", "route"), matrix(AMOUNTS, ROUTES))
def test_bad_amounts_are_a_422_naming_amount(client, app_bank, route, amount):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    path, body = _routes(alice, bob)[route]
    if amount is not ...:
        body = {**body, "amount": amount}
    assert_problem(alice.post(path, body), 422, "amount")
    assert (alice.balance(), bob.balance()) == ("100.00", "0.00")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("memo", "status"),
    [("x" * 140, 201), ("x" * 141, 422), (5, 422), (["a"], 422), (None, 201), ("", 201)],
)
def test_memo(client, app_bank, route, memo, status):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    path, body = _routes(alice, bob)[route]
    response = alice.post(path, {**body, "amount": "1.00", "memo": memo})
    if status == 201:
        assert response.status_code == 201
        assert response.json["memo"] == (memo or "")
    else:
        assert_problem(response, 422, "memo")


@pytest.mark.parametrize("route", ROUTES)
def test_someone_elses_account_cannot_move_money(client, app_bank, route):
    mallory = customer(client, app_bank, "Mallory Evil", deposit="10.00")
    alice = customer(client, app_bank, deposit="100.00")
    path, body = _routes(alice, mallory)[route]
    theirs = mallory.post(path, {**body, "amount": "1.00"}, key="k-1")
    missing_path, missing_body = path.replace(alice.account_id, "no-such-account"), dict(body)
    if "from_account_id" in missing_body:
        missing_body["from_account_id"] = "no-such-account"
    missing = mallory.post(missing_path, {**missing_body, "amount": "1.00"})
    assert_problem(theirs, 404)
    assert theirs.get_data() == missing.get_data()
    assert (alice.balance(), mallory.balance()) == ("100.00", "10.00")
    assert len(alice.history()) == 1


@pytest.mark.parametrize("route", ROUTES)
def test_same_key_same_body_posts_once_and_answers_the_same(client, app_bank, route):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    path, body = _routes(alice, bob)[route]
    body = {**body, "amount": "7.00", "memo": "once"}
    first = alice.post(path, body, key="retry-me")
    second = alice.post(path, body, key="retry-me")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(alice.history()) == 2  # the opening deposit and this one
    expected = {"deposit": "107.00", "withdrawal": "93.00", "transfer": "93.00"}[route]
    assert alice.balance() == expected


@pytest.mark.parametrize("route", ROUTES)
def test_same_key_different_body_is_a_409_and_posts_nothing(client, app_bank, route):
    alice = customer(client, app_bank, deposit="100.00")
    bob = customer(client, app_bank, "Bob Builder")
    path, body = _routes(alice, bob)[route]
    assert alice.post(path, {**body, "amount": "7.00"}, key="k").status_code == 201
    balance = alice.balance()
    assert_problem(alice.post(path, {**body, "amount": "8.00"}, key="k"), 409)
    assert_problem(alice.post(path, {**body, "amount": "7.00", "memo": "x"}, key="k"), 409)
    assert alice.balance() == balance
    assert len(alice.history()) == 2


def test_a_key_reused_on_another_route_is_a_409(client, app_bank):
    alice = customer(client, app_bank, deposit="100.00")
    path = f"/accounts/{alice.account_id}"
    assert alice.post(f"{path}/deposits", {"amount": "1.00"}, key="k").status_code == 201
    assert_problem(alice.post(f"{path}/withdrawals", {"amount": "1.00"}, key="k"), 409)
    assert alice.balance() == "101.00"


def test_keys_belong_to_one_customer(client, app_bank):
    alice, bob = customer(client, app_bank), customer(client, app_bank, "Bob Builder")
    for who in (alice, bob):
        response = who.post(f"/accounts/{who.account_id}/deposits", {"amount": "3.00"}, key="k")
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert (alice.balance(), bob.balance()) == ("3.00", "3.00")


def test_a_refused_request_is_refused_again_when_retried_with_its_key(client, app_bank):
    """As Stripe does: the key keeps the first answer, a refusal too, so a retry is not
    judged again (even once the money is there); a new request takes a new key."""
    alice = customer(client, app_bank, deposit="5.00")
    path = f"/accounts/{alice.account_id}/withdrawals"
    first = alice.post(path, {"amount": "6.00"}, key="k")
    assert_problem(first, 422, "amount")
    alice.post(f"/accounts/{alice.account_id}/deposits", {"amount": "1.00"})
    again = alice.post(path, {"amount": "6.00"}, key="k")
    assert (again.status_code, again.json) == (422, first.json)
    assert_problem(alice.post(path, {"amount": "5.00"}, key="k"), 409)
    assert alice.balance() == "6.00"
    assert alice.post(path, {"amount": "6.00"}, key="k2").status_code == 201
    assert alice.balance() == "0.00"


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_bad_idempotency_key_is_a_422(client, app_bank, key):
    alice = customer(client, app_bank)
    response = alice.post(f"/accounts/{alice.account_id}/deposits", {"amount": "1.00"}, key=key)
    assert_problem(response, 422, "idempotency_key")
    assert alice.balance() == "0.00"
