"""Accounts through the API: list, open, read; someone else's account is a plain 404."""

from __future__ import annotations

import pytest

from test_api_support import assert_problem, customer

ACCOUNT_KEYS = {
    "id",
    "number",
    "type",
    "currency",
    "balance",
    "available_balance",
    "status",
    "opened_at",
    "nickname",
    "primary",
}


def test_list_accounts(client, app_bank):
    alice = customer(client, app_bank, deposit="12.30")
    response = alice.get("/accounts")
    assert response.status_code == 200
    [account] = response.json["items"]
    assert set(account) == ACCOUNT_KEYS
    assert account["id"] == alice.account_id
    assert account["balance"] == account["available_balance"] == "12.30"
    assert account["status"] == "open"


def test_open_account(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.post("/accounts", {"type": "savings", "currency": "EUR"})
    assert response.status_code == 201
    body = response.json
    assert set(body) == ACCOUNT_KEYS
    assert (body["type"], body["currency"], body["balance"]) == ("savings", "EUR", "0.00")
    assert len(body["number"]) == 12
    assert response.headers["Location"].endswith(f"/api/v1/accounts/{body['id']}")
    assert alice.get(f"/accounts/{body['id']}").json == body
    assert len(alice.get("/accounts").json["items"]) == 2


def test_open_account_defaults_to_usd(client, app_bank):
    alice = customer(client, app_bank)
    assert alice.open(currency=None)["currency"] == "USD"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "type"),
        ({"type": None}, "type"),
        ({"type": "premium"}, "type"),
        ({"type": ["checking"]}, "type"),
        ({"type": "checking", "currency": "XYZ"}, "currency"),
        ({"type": "checking", "currency": 840}, "currency"),
        ({"type": "checking", "currency": ["USD"]}, "currency"),
    ],
)
def test_open_account_refuses_bad_fields(client, app_bank, body, field):
    alice = customer(client, app_bank)
    assert_problem(alice.post("/accounts", body), 422, field)
    assert len(alice.get("/accounts").json["items"]) == 1


def test_get_account(client, app_bank):
    alice = customer(client, app_bank, deposit="5.00")
    response = alice.get(f"/accounts/{alice.account_id}")
    assert response.status_code == 200
    assert response.json["number"] == alice.account_number
    assert response.json["balance"] == "5.00"


def test_someone_elses_account_reads_like_a_missing_one(client, app_bank):
    alice, bob = customer(client, app_bank), customer(client, app_bank, "Bob Builder", "50.00")
    theirs = alice.get(f"/accounts/{bob.account_id}")
    missing = alice.get("/accounts/00000000-0000-0000-0000-000000000000")
    assert_problem(theirs, 404)
    assert theirs.json == missing.json
    assert theirs.get_data() == missing.get_data()
    assert bob.account_id not in theirs.get_data(as_text=True)


@pytest.mark.parametrize(
    "suffix", ["", "/transactions", "/statements/2026-01", "/statements/2026-01?format=csv"]
)
def test_no_read_of_someone_elses_account(client, app_bank, suffix):
    alice, bob = customer(client, app_bank), customer(client, app_bank, "Bob Builder", "50.00")
    theirs = alice.get(f"/accounts/{bob.account_id}{suffix}")
    missing = alice.get(f"/accounts/no-such-account{suffix}")
    assert_problem(theirs, 404)
    assert theirs.get_data() == missing.get_data()
