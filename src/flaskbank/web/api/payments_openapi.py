"""The OpenAPI entries of the payment and housekeeping routes (payments.py): saved payees, a
transfer's quote, an account's nickname, primary choice and closing. `extend` adds them to
the document (openapi.py), as the staff API adds its own."""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_TIME = {"type": "string", "description": "ISO 8601 UTC, e.g. 2026-01-31T09:30:00.000000Z"}
_ACCOUNT = {"$ref": "#/components/parameters/AccountId"}
_PAYEE_ID = {"name": "payee_id", "in": "path", "required": True, "schema": _STR}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


_BODY_ERRORS = (400, 413, 415, 422)

SCHEMAS: dict[str, Any] = {
    "Payee": _obj(
        ["id", "nickname", "account_number", "email", "created_at"],
        id=_STR,
        nickname=_STR,
        account_number={**_NSTR, "description": "12 digits; null when named by email"},
        email={**_NSTR, "description": "null when named by account number"},
        created_at=_TIME,
    ),
    "PayeeList": _obj(["items"], items={"type": "array", "items": _ref("Payee")}),
    "NewPayee": {
        **_obj(
            ["nickname"],
            nickname={"type": "string", "maxLength": 40},
            account_number={**_NSTR, "description": "12 digits with a valid check digit"},
            email=_NSTR,
        ),
        "description": "Name the payee by account_number or email, not both.",
    },
    "PayeeChange": _obj(["nickname"], nickname={"type": "string", "maxLength": 40}),
    "AccountChange": _obj(
        ["nickname"],
        nickname={**_NSTR, "maxLength": 40, "description": "an empty string or null removes it"},
    ),
    "TransferQuote": {
        **_obj(
            ["from_account_id", "amount", "currency", "memo", "recipient"],
            from_account_id=_STR,
            amount={"type": "string"},
            currency=_STR,
            memo=_STR,
            recipient=_obj(
                ["name", "account_ending", "own_account"],
                name={"type": "string", "description": 'masked, e.g. "Alice M."'},
                account_ending={"type": "string", "pattern": "^[0-9]{4}$"},
                own_account={"type": "boolean"},
            ),
        ),
        "description": "What POST /transfers with the same body would send now. Nothing is "
        "posted or held; the recipient's full name and account number are never shown.",
    },
}

PATHS: dict[str, Any] = {
    "/accounts/{account_id}/primary": {
        "post": {
            "summary": "Receive money sent to your email into this account",
            "parameters": [_ACCOUNT],
            "responses": {"200": _ok("Account"), **_problems(401, 404, 422)},
        }
    },
    "/accounts/{account_id}/close": {
        "post": {
            "summary": "Close an account whose balance and holds are zero",
            "parameters": [_ACCOUNT],
            "responses": {
                "200": _ok("Account", "Closed; its history and statements stay readable"),
                "409": {
                    **_problems(409)["409"],
                    "description": "The balance or held amount is not zero: move the "
                    "money out first",
                },
                **_problems(401, 404, 422),
            },
        }
    },
    "/transfers/quote": {
        "post": {
            "summary": "Review a transfer before sending it",
            "requestBody": _body("Transfer"),
            "responses": {"200": _ok("TransferQuote"), **_problems(*_BODY_ERRORS, 401, 404)},
        }
    },
    "/payees": {
        "get": {
            "summary": "Your saved payees",
            "responses": {"200": _ok("PayeeList"), **_problems(401)},
        },
        "post": {
            "summary": "Save a payee",
            "requestBody": _body("NewPayee"),
            "responses": {
                "201": {**_ok("Payee", "Saved"), "headers": {"Location": {"schema": _STR}}},
                **_problems(*_BODY_ERRORS, 401),
            },
        },
    },
    "/payees/{payee_id}": {
        "get": {
            "summary": "One of your payees",
            "parameters": [_PAYEE_ID],
            "responses": {"200": _ok("Payee"), **_problems(401, 404)},
        },
        "patch": {
            "summary": "Rename a payee",
            "parameters": [_PAYEE_ID],
            "requestBody": _body("PayeeChange"),
            "responses": {"200": _ok("Payee"), **_problems(*_BODY_ERRORS, 401, 404)},
        },
        "delete": {
            "summary": "Remove a payee",
            "parameters": [_PAYEE_ID],
            "responses": {"204": {"description": "Removed"}, **_problems(401, 404)},
        },
    },
}


def extend(document: dict[str, Any]) -> None:
    """Add these routes and schemas, and the fields they add to Account and Transfer."""
    schemas = document["components"]["schemas"]
    schemas.update(SCHEMAS)
    account = schemas["Account"]
    account["required"] += ["nickname", "primary"]
    account["properties"]["nickname"] = {"type": "string", "description": '"" when none'}
    account["properties"]["primary"] = {
        "type": "boolean",
        "description": "receives money sent to the owner's email (default: the oldest open "
        "checking account, else the oldest open account)",
    }
    transfer = schemas["Transfer"]["properties"]
    transfer["payee_id"] = {
        **_NSTR,
        "description": "one of your saved payees, instead of to_account_number or to_email",
    }
    transfer["to_email"]["description"] = (
        "the account its owner chose as primary in the sender's currency (else their oldest "
        "open checking account, else their oldest open account)"
    )
    paths = document["paths"]
    paths["/accounts/{account_id}"]["patch"] = {
        "summary": "Give an account a nickname",
        "parameters": [_ACCOUNT],
        "requestBody": _body("AccountChange"),
        "responses": {"200": _ok("Account"), **_problems(*_BODY_ERRORS, 401, 404)},
    }
    paths.update(PATHS)
