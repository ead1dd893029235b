"""Random JSON bodies against every route that reads one: never a 500, errors always
problem+json, and the ledger still adds up afterwards."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flaskbank.services.ledger_checks import verify
from test_api_support import API, PROBLEM, customer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
AMOUNTS = st.sampled_from(["1.00", "0.01", "12.34", "60.00"]) | st.from_regex(
    r"[-+]?[0-9]{1,6}(\.[0-9]{0,3})?([eE][0-9])?", fullmatch=True
)


def _plausible(alice, bob) -> dict[str, st.SearchStrategy]:
    """Per field, values near the valid ones, so that examples reach past the first check."""
    return {
        "email": st.sampled_from([alice.email, bob.email, "x@example.com", "nope"]),
        "full_name": st.text(max_size=120),
        "password": st.sampled_from([alice.password, "short", "x" * 250]),
        "old_password": st.sampled_from([alice.password, "wrong password"]),
        "new_password": st.sampled_from([alice.password, "short"]),
        "type": st.sampled_from(["checking", "savings", "loan", ""]),
        "currency": st.sampled_from(["USD", "EUR", "GBP", "usd", ""]),
        "amount": AMOUNTS,
        "memo": st.text(max_size=150),
        "from_account_id": st.sampled_from([alice.account_id, bob.account_id, "x"]),
        "to_account_number": st.sampled_from([bob.account_number, alice.account_number, "123", ""]),
        "to_email": st.sampled_from([bob.email, alice.email, "nobody@example.com", ""]),
        "day_of_month": st.sampled_from(["1", "28", "29", "0", "١", " 3"]),
        "start_date": st.sampled_from(["", "2099-01-01", "9999-12-30", "2000-01-01", "soon"]),
        "end_date": st.sampled_from(["", "2099-12-31", "0001-01-01", "9999-12-31"]),
    }


def _routes(alice):
    return {
        "users": ("POST", "/users", ["email", "full_name", "password"]),
        "tokens": ("POST", "/tokens", ["email", "password"]),
        "me": ("PATCH", "/me", ["full_name", "email", "old_password", "new_password"]),
        "accounts": ("POST", "/accounts", ["type", "currency"]),
        "deposits": ("POST", f"/accounts/{alice.account_id}/deposits", ["amount", "memo"]),
        "withdrawals": ("POST", f"/accounts/{alice.account_id}/withdrawals", ["amount", "memo"]),
        "transfers": (
            "POST",
            "/transfers",
            ["from_account_id", "to_account_number", "to_email", "amount", "memo"],
        ),
        "standing-orders": (
            "POST",
            "/standing-orders",
            [
                "from_account_id",
                "to_account_number",
                "amount",
                "day_of_month",
                "start_date",
                "end_date",
                "memo",
            ],
        ),
    }


@pytest.mark.parametrize(
    "route",
    [
        "users",
        "tokens",
        "me",
        "accounts",
        "deposits",
        "withdrawals",
        "transfers",
        "standing-orders",
    ],
)
def test_random_bodies_never_break_the_api(client, app_bank, route):
    alice = customer(client, app_bank, deposit="50.00")
    bob = customer(client, app_bank, "Bob Builder", deposit="5.00")
    method, path, names = _routes(alice)[route]
    plausible = _plausible(alice, bob)
    fields = st.fixed_dictionaries(
        {}, optional={name: st.one_of(plausible[name], plausible[name], JSON) for name in names}
    )
    near_valid = st.fixed_dictionaries({name: plausible[name] for name in names})
    bodies = st.one_of(JSON, fields, near_valid)

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies, key=st.none() | st.sampled_from(["k1", "k2", ""]))
    def check(body, key):
        headers = alice.headers(key)
        response = client.open(
            API + path,
            method=method,
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code != 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM
            assert response.json["status"] == response.status_code
        else:
            assert response.mimetype == "application/json"

    check()
    assert verify(app_bank).problems == []
