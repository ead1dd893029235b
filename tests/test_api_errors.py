"""Malformed requests: every one is answered as problem+json with the documented status."""

from __future__ import annotations

import json

import pytest

from input_matrix import matrix
from test_api_support import API, assert_problem, customer


def _body_routes(alice, bob):
    """(method, path, a valid body) for every route that reads a body."""
    return [
        (
            "POST",
            "/users",
            {
                "email": "new@example.com",
                "full_name": "New Person",
                "password": "long enough password",
            },
        ),
        ("POST", "/tokens", {"email": alice.email, "password": alice.password}),
        ("PATCH", "/me", {"full_name": "Alice Again"}),
        ("POST", "/accounts", {"type": "savings"}),
        ("POST", f"/accounts/{alice.account_id}/deposits", {"amount": "1.00"}),
        ("POST", f"/accounts/{alice.account_id}/withdrawals", {"amount": "1.00"}),
        (
            "POST",
            "/transfers",
            {
                "from_account_id": alice.account_id,
                "amount": "1.00",
                "to_account_number": bob.account_number,
            },
        ),
    ]


ROUTE_IDS = ["users", "tokens", "me", "accounts", "deposits", "withdrawals", "transfers"]
BODY_ROUTES = [pytest.param(i, id=name) for i, name in enumerate(ROUTE_IDS)]

MALFORMED = [
    pytest.param(b"{", "application/json", 400, id="truncated"),
    pytest.param(b"", "application/json", 400, id="empty"),
    pytest.param(b"{'amount': '1.00'}", "application/json", 400, id="single-quotes"),
    pytest.param(b'{"amount": NaN}', "application/json", 400, id="nan-literal"),
    pytest.param(b'{"amount": Infinity}', "application/json", 400, id="infinity-literal"),
    pytest.param(b'{"a": 1} x', "application/json", 400, id="trailing-garbage"),
    pytest.param(b'\xff\xfe{"a"', "application/json", 400, id="invalid-utf8"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, "application/json", 400, id="deep-nesting"),
    pytest.param(b'["amount", "1.00"]', "application/json", 400, id="array"),
    pytest.param(b'"1.00"', "application/json", 400, id="string"),
    pytest.param(b"12.34", "application/json", 400, id="number"),
    pytest.param(b"null", "application/json", 400, id="null"),
    pytest.param(b'{"amount": "1.00"}', "text/plain", 415, id="text-plain"),
    pytest.param(b"amount=1.00", "application/x-www-form-urlencoded", 415, id="form"),
    pytest.param(b'{"amount": "1.00"}', None, 415, id="no-content-type"),
]


@pytest.mark.parametrize(
    ("store_kind", "data", "content_type", "status", "route"), matrix(MALFORMED, BODY_ROUTES)
)
def test_malformed_bodies(client, app_bank, route, data, content_type, status):
    alice = customer(client, app_bank, deposit="10.00")
    bob = customer(client, app_bank, "Bob Builder")
    method, path, _ = _body_routes(alice, bob)[route]
    headers = alice.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.open(API + path, method=method, data=data, headers=headers)
    assert_problem(response, status)
    assert alice.balance() == "10.00"


@pytest.mark.parametrize("route", range(7), ids=ROUTE_IDS)
def test_a_json_suffix_type_is_json(client, app_bank, route):
    alice = customer(client, app_bank, deposit="10.00")
    bob = customer(client, app_bank, "Bob Builder")
    method, path, body = _body_routes(alice, bob)[route]
    response = client.open(
        API + path,
        method=method,
        json=body,
        headers={**alice.headers(), "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code in (200, 201), response.json


@pytest.mark.parametrize("route", range(7), ids=ROUTE_IDS)
def test_an_oversized_body_is_a_413(client, app_bank, route):
    alice = customer(client, app_bank, deposit="10.00")
    bob = customer(client, app_bank, "Bob Builder")
    method, path, body = _body_routes(alice, bob)[route]
    big = {**body, "memo": "x" * (100 * 1024)}
    response = client.open(API + path, method=method, json=big, headers=alice.headers())
    assert_problem(response, 413)
    assert alice.balance() == "10.00"


@pytest.mark.parametrize("route", range(7), ids=ROUTE_IDS)
def test_unknown_fields_are_ignored(client, app_bank, route):
    alice = customer(client, app_bank, deposit="10.00")
    bob = customer(client, app_bank, "Bob Builder")
    method, path, body = _body_routes(alice, bob)[route]
    extra = {**body, "unexpected": [1, {"nested": None}], "balance": "1000000.00"}
    response = client.open(API + path, method=method, json=extra, headers=alice.headers())
    assert response.status_code in (200, 201), response.json
    assert "unexpected" not in response.json


@pytest.mark.parametrize("route", range(2, 7), ids=ROUTE_IDS[2:])
def test_authentication_comes_before_the_body(client, app_bank, route):
    alice = customer(client, app_bank, deposit="10.00")
    bob = customer(client, app_bank, "Bob Builder")
    method, path, _ = _body_routes(alice, bob)[route]
    response = client.open(API + path, method=method, data=b"{", content_type="text/plain")
    assert_problem(response, 401)


@pytest.mark.parametrize("field", ["email", "full_name", "password"])
def test_a_lone_surrogate_is_a_422_not_a_500(client, field):
    body = {"email": "s@example.com", "full_name": "S Person", "password": "long enough pass"}
    # Valid JSON (an escaped lone surrogate) that no UTF-8 store can hold.
    raw = json.dumps(body).replace(json.dumps(body[field]), '"ab\\ud800cd"')
    response = client.post(f"{API}/users", data=raw, content_type="application/json")
    assert_problem(response, 422, field)


def test_a_lone_surrogate_in_a_memo_is_a_422(client, app_bank):
    alice = customer(client, app_bank)
    response = client.post(
        f"{API}/accounts/{alice.account_id}/deposits",
        data='{"amount": "1.00", "memo": "\\udfff"}',
        content_type="application/json",
        headers=alice.headers(),
    )
    assert_problem(response, 422, "memo")
    assert alice.balance() == "0.00"


@pytest.mark.parametrize(
    "path",
    ["/", "/nope", "/accounts/x/nope", "/users/1", "/accounts/x/statements", "/openapi.yaml"],
)
def test_unknown_routes_are_a_404_problem(client, app_bank, path):
    alice = customer(client, app_bank)
    assert_problem(alice.get(path), 404)
    assert_problem(client.get(API + path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users"),
        ("PUT", "/users"),
        ("GET", "/tokens"),
        ("GET", "/tokens/current"),
        ("POST", "/me"),
        ("DELETE", "/me"),
        ("DELETE", "/accounts"),
        ("PUT", "/accounts/x"),
        ("GET", "/accounts/x/deposits"),
        ("GET", "/transfers"),
        ("POST", "/openapi.json"),
        ("POST", "/accounts/x/transactions"),
        ("DELETE", "/accounts/x/statements/2025-01"),
    ],
)
def test_wrong_methods_are_a_405_problem(client, app_bank, method, path):
    alice = customer(client, app_bank)
    response = client.open(API + path, method=method, headers=alice.headers())
    assert_problem(response, 405)
    assert method not in response.headers["Allow"] and "OPTIONS" in response.headers["Allow"]


def test_api_answers_are_never_cached(client, app_bank):
    alice = customer(client, app_bank)
    assert alice.get("/me").headers["Cache-Control"] == "no-store"
