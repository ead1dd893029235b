"""The OpenAPI document matches the routes, resolves, and describes what the API answers."""

from __future__ import annotations

import json
import re
from typing import Any

from flaskbank.services.analytics.reports import SPECS
from flaskbank.web.api.openapi import DOCUMENT
from test_api_support import API, customer

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _resolve(ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = DOCUMENT
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _operations():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_the_document_is_served_without_a_token(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(json.dumps(DOCUMENT))
    assert response.json["openapi"] == "3.1.0"


def test_every_route_is_documented_and_nothing_else(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API) :])
        # One route serves every report; the document gives each its own path and schema.
        paths = [path.replace("{name}", name) for name in SPECS] if "{name}" in path else [path]
        routes |= {(p, method) for p in paths for method in rule.methods - IGNORED_METHODS}
    documented = {(path, method) for path, method, _ in _operations()}
    assert routes == documented


def test_every_ref_resolves():
    refs = [node["$ref"] for node in _walk(DOCUMENT) if "$ref" in node]
    assert refs
    for ref in refs:
        assert _resolve(ref) is not None


def test_every_path_parameter_is_declared():
    for path, _, operation in _operations():
        declared = set()
        for param in operation.get("parameters", []):
            param = _resolve(param["$ref"]) if "$ref" in param else param
            if param["in"] == "path":
                declared.add(param["name"])
        assert declared == set(re.findall(r"{([^}]+)}", path)), path


def test_protected_operations_document_the_401():
    assert DOCUMENT["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /tokens",
    }
    assert DOCUMENT["security"] == [{"bearer": []}]
    for path, method, operation in _operations():
        public = operation.get("security") == []
        assert public == (
            (path, method) in {("/users", "POST"), ("/tokens", "POST"), ("/openapi.json", "GET")}
        ), path
        if not public:
            assert "401" in operation["responses"], (method, path)


def test_money_operations_take_an_idempotency_key():
    key = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path in (
        "/accounts/{account_id}/deposits",
        "/accounts/{account_id}/withdrawals",
        "/transfers",
    ):
        operation = DOCUMENT["paths"][path]["post"]
        assert key in operation["parameters"]
        assert {"409", "422"} <= operation["responses"].keys()
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_errors_are_documented_as_problem_json():
    problem = DOCUMENT["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "errors" in problem["properties"]
    for response in DOCUMENT["components"]["responses"].values():
        assert set(response["content"]) == {"application/problem+json"}


def test_the_amount_pattern_matches_the_rules():
    pattern = re.compile(DOCUMENT["components"]["schemas"]["Amount"]["pattern"])
    assert DOCUMENT["components"]["schemas"]["Amount"]["type"] == "string"
    for good in ("12.34", "1", "0.5", "10000.00"):
        assert pattern.match(good), good
    for bad in ("1.234", "-5", "+5", "1e3", "NaN", "Infinity", "", "01.00", "1,000"):
        assert not pattern.match(bad), bad
    signed = re.compile(DOCUMENT["components"]["schemas"]["SignedAmount"]["pattern"])
    assert signed.match("-20.00") and signed.match("12.34") and not signed.match("12.3")


def test_the_transaction_description_explains_the_sign():
    description = DOCUMENT["components"]["schemas"]["Transaction"]["description"]
    assert '"-20.00"' in description and "withdrawal" in description


def _properties(name: str) -> set[str]:
    return set(DOCUMENT["components"]["schemas"][name]["properties"])


def test_schemas_match_what_the_api_answers(client, app_bank):
    alice = customer(client, app_bank, deposit="10.00")
    assert set(alice.get("/me").json) == _properties("User")
    account = alice.get(f"/accounts/{alice.account_id}").json
    assert set(account) == _properties("Account")
    assert set(alice.get("/accounts").json) == _properties("AccountList")
    page = alice.get(f"/accounts/{alice.account_id}/transactions").json
    assert set(page) == _properties("TransactionPage")
    assert set(page["items"][0]) == _properties("Transaction")
    month = app_bank.now()[:7]  # the account's only month: it was opened now
    statement = alice.get(f"/accounts/{alice.account_id}/statements/{month}").json
    assert set(statement) == _properties("Statement")
    token = client.post(f"{API}/tokens", json={"email": alice.email, "password": alice.password})
    assert set(token.json) == _properties("Token")
    amount = re.compile(DOCUMENT["components"]["schemas"]["SignedAmount"]["pattern"])
    assert amount.match(account["balance"]) and amount.match(page["items"][0]["amount"])
