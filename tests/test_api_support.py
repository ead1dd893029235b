"""Helpers for the API tests (no tests here): a customer who talks to the API with a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conftest import new_customer
from flaskbank.services import accounts
from flaskbank.services.bank import Bank

API = "/api/v1"
PROBLEM = "application/problem+json"


@dataclass
class Api:
    client: Any
    bank: Bank
    token: str
    user_id: str
    email: str
    password: str
    account_id: str
    account_number: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(API + path, headers=self.headers(), **kw)

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        return self.client.post(API + path, json=body, headers=self.headers(key))

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(API + path, json=body, headers=self.headers())

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers())

    def balance(self, account_id: str | None = None) -> str:
        account = accounts.account_of(self.bank, self.user_id, account_id or self.account_id)
        return str(account.balance)

    def open(self, type: str = "checking", currency: str | None = None) -> dict[str, Any]:
        body = {"type": type} if currency is None else {"type": type, "currency": currency}
        response = self.post("/accounts", body)
        assert response.status_code == 201, response.json
        return response.json  # type: ignore[no-any-return]

    def history(self, account_id: str | None = None) -> list[dict[str, Any]]:
        response = self.get(f"/accounts/{account_id or self.account_id}/transactions?limit=100")
        assert response.status_code == 200, response.json
        return response.json["items"]  # type: ignore[no-any-return]


def customer(
    client: Any,
    bank: Bank,
    name: str = "Ada Lovelace",
    deposit: str | None = None,
    currency: str | None = None,
    opened: datetime | None = None,
) -> Api:
    """A registered customer with one checking account (opened now, or `opened`) and an API
    token."""
    c = new_customer(bank, name, deposit=deposit, currency=currency, opened=opened)
    response = client.post(f"{API}/tokens", json={"email": c.email, "password": c.password})
    assert response.status_code == 201, response.json
    return Api(
        client,
        bank,
        response.json["token"],
        c.user_id,
        c.email,
        c.password,
        c.account_id,
        c.account_number,
    )


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is problem+json with `status`; on a 422 with `field`, that field is named."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.json
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if field is not None:
        assert field in body.get("errors", {}), body
    return body  # type: ignore[no-any-return]
