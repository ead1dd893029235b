"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

A test checks that every route under /api/v1 is described here and nothing else is, so a new
view and its description land together.
"""

from __future__ import annotations

from typing import Any

from ...domain.search import SEARCH_TEXT_MAX


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


#: The personal details a customer gives (domain/personal.py).
_PERSONAL: dict[str, dict[str, Any]] = {
    "phone": {
        "type": "string",
        "description": "International form, such as +44 7700 900123; kept as E.164.",
    },
    "address": {
        "type": "string",
        "description": "The postal address, one line per line (newlines), at most 6 lines.",
    },
    "date_of_birth": {
        "type": "string",
        "description": "YYYY-MM-DD; the customer must be at least 18.",
    },
}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_TIME = {"type": "string", "description": "ISO 8601 UTC, e.g. 2026-01-31T09:30:00.000000Z"}

_TXN_DESCRIPTION = (
    "A transaction as one account sees it. `amount` is signed from that account's side: "
    '"-20.00" for a withdrawal or an outgoing transfer, "12.34" for a deposit or an incoming '
    "transfer. `id` is the transaction's id (both sides of a transfer share it). "
    "`balance_after` is the account's balance once this transaction was applied."
)

#: An end of a history search's amount range: a plain decimal, zero allowed.
_BOUND = {"type": "string", "pattern": r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"}

_SCHEMAS: dict[str, Any] = {
    "Amount": {
        "type": "string",
        "pattern": r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$",
        "description": "A positive amount as text with at most two decimals. A JSON "
        "number, zero, a sign, an exponent, NaN or Infinity is a 422.",
        "examples": ["12.34"],
    },
    "SignedAmount": {
        "type": "string",
        "pattern": r"^-?(0|[1-9][0-9]*)\.[0-9]{2}$",
        "examples": ["-20.00", "12.34"],
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "description": "RFC 9457 problem details, as application/problem+json.",
        "properties": {
            "type": _STR,
            "title": _STR,
            "status": {"type": "integer"},
            "detail": _STR,
            "errors": {
                "type": "object",
                "additionalProperties": _STR,
                "description": "On a 422: a message per field.",
            },
        },
    },
    "NewUser": {
        **_obj(
            ["email", "full_name", "password"],
            email=_STR,
            full_name=_STR,
            password={"type": "string", "minLength": 10, "maxLength": 200},
            **_PERSONAL,
        ),
        "description": "phone, address and date_of_birth are recommended: the bank needs "
        "them before it can serve the customer fully, and the web form requires them. "
        "Each one given is checked (a blank one is refused).",
    },
    "User": _obj(
        ["id", "email", "full_name", "role", "created_at", "phone", "address", "date_of_birth"],
        id=_STR,
        email=_STR,
        full_name=_STR,
        role=_STR,
        created_at=_TIME,
        **{
            k: {**v, "description": v["description"] + ' "" when not given yet.'}
            for k, v in _PERSONAL.items()
        },
    ),
    "ProfileChange": {
        **_obj(
            [],
            full_name=_STR,
            email=_STR,
            old_password=_STR,
            new_password=_STR,
            **_PERSONAL,
        ),
        "description": "Change full_name, email and/or the personal details (phone, "
        "address, date_of_birth: each given must be valid, none can be blanked); or "
        "change the password with old_password and new_password, in a request of "
        "its own.",
    },
    "Credentials": _obj(
        ["email", "password"],
        email=_STR,
        password=_STR,
        otp={
            **_NSTR,
            "description": "Required when the account has "
            "two-factor authentication: the current six-digit TOTP code "
            "(each code is accepted once) or an unused recovery code "
            "(each works once).",
        },
    ),
    "Token": _obj(["token", "expires_at"], token=_STR, expires_at=_TIME),
    "NewAccount": _obj(
        ["type"],
        type={"enum": ["checking", "savings"]},
        currency={
            "type": ["string", "null"],
            "enum": ["USD", "EUR", "GBP", None],
            "default": "USD",
        },
    ),
    "Account": _obj(
        ["id", "number", "type", "currency", "balance", "available_balance", "status", "opened_at"],
        id=_STR,
        number={"type": "string", "pattern": "^[0-9]{12}$"},
        type={"enum": ["checking", "savings"]},
        currency=_STR,
        balance=_ref("SignedAmount"),
        available_balance={
            **_ref("SignedAmount"),
            "description": "balance less what open holds reserve: what the account can spend",
        },
        status={"enum": ["open", "frozen", "closed"]},
        opened_at=_TIME,
    ),
    "AccountList": _obj(["items"], items={"type": "array", "items": _ref("Account")}),
    "Hold": {
        **_obj(
            [
                "id",
                "account_id",
                "kind",
                "status",
                "amount",
                "currency",
                "reason",
                "placed_at",
                "expires_at",
                "resolved_at",
                "transaction_id",
            ],
            id=_STR,
            account_id=_STR,
            kind={"enum": ["pending_transfer", "staff"]},
            status={"enum": ["open", "released", "voided", "expired"]},
            amount=_ref("SignedAmount"),
            currency=_STR,
            reason=_STR,
            placed_at=_TIME,
            expires_at={**_NSTR, "description": "when an open hold lapses; null: until lifted"},
            resolved_at=_NSTR,
            transaction_id={**_NSTR, "description": "what releasing a pending transfer posted"},
            transfer=_obj(["to", "memo"], to=_STR, memo=_STR),
        ),
        "description": "An amount reserved on an account: a transfer waiting for review "
        "(pending_transfer, which a release posts) or a hold the bank placed (staff). It is "
        "resolved once: released, voided or expired.",
    },
    "HoldList": _obj(["items"], items={"type": "array", "items": _ref("Hold")}),
    "NewStandingOrder": _obj(
        ["from_account_id", "to_account_number", "amount", "day_of_month"],
        from_account_id=_STR,
        to_account_number={"type": "string", "description": "12 digits; spaces allowed"},
        amount=_ref("Amount"),
        day_of_month={
            "type": "string",
            "pattern": "^[0-9]{1,2}$",
            "description": '"1" to "28", as text like every field of a body',
        },
        start_date={**_NSTR, "format": "date", "description": "default today"},
        end_date={**_NSTR, "format": "date", "description": "the last date it may pay"},
        memo={"type": ["string", "null"], "maxLength": 140},
    ),
    "StandingOrder": {
        **_obj(
            [
                "id",
                "from_account_id",
                "to_account_number",
                "amount",
                "memo",
                "day_of_month",
                "next_run",
                "end_date",
                "status",
                "created_at",
                "last_outcome",
            ],
            id=_STR,
            from_account_id=_STR,
            to_account_number=_STR,
            amount=_ref("Amount"),
            memo=_STR,
            day_of_month={"type": "integer"},
            next_run={**_NSTR, "description": "the next date it pays; null unless active"},
            end_date=_NSTR,
            status={"enum": ["active", "cancelled", "finished"]},
            created_at=_TIME,
            last_outcome={"type": "string", "description": 'e.g. "paid 2026-12-01"'},
            runs={
                "type": "array",
                "description": "on GET of one order: its latest runs, newest first",
                "items": _obj(
                    ["on", "outcome", "at", "transaction_id", "detail"],
                    on={"type": "string", "format": "date"},
                    outcome={"enum": ["paid", "pending", "failed"]},
                    at=_TIME,
                    transaction_id=_NSTR,
                    detail=_STR,
                ),
            },
        ),
        "description": "Pays `amount` to an account on `day_of_month` every month until "
        "`end_date`. Each run is a transfer keyed by the order and the date, so it pays once; "
        "a run the ledger refuses is recorded as failed and the order goes on.",
    },
    "StandingOrderList": _obj(["items"], items={"type": "array", "items": _ref("StandingOrder")}),
    "PendingTransfer": _obj(
        ["status", "hold_id", "hold"],
        status={"const": "pending"},
        hold_id=_STR,
        hold=_ref("Hold"),
    ),
    "CashMovement": _obj(
        ["amount"], amount=_ref("Amount"), memo={"type": ["string", "null"], "maxLength": 140}
    ),
    "Transfer": {
        **_obj(
            ["from_account_id", "amount"],
            from_account_id=_STR,
            to_account_number={**_NSTR, "description": "12 digits; spaces and dashes allowed"},
            to_email={
                **_NSTR,
                "description": "the recipient's first open account in the sender's currency",
            },
            amount=_ref("Amount"),
            memo={"type": ["string", "null"], "maxLength": 140},
        ),
        "description": "Name the recipient by to_account_number or to_email, not both.",
    },
    "Transaction": {
        **_obj(
            [
                "id",
                "type",
                "amount",
                "currency",
                "balance_after",
                "account_id",
                "counterparty",
                "memo",
                "created_at",
            ],
            id=_STR,
            type={"enum": ["deposit", "withdrawal", "transfer"]},
            amount=_ref("SignedAmount"),
            currency=_STR,
            balance_after={"oneOf": [_ref("SignedAmount"), {"type": "null"}]},
            account_id=_STR,
            counterparty=_STR,
            memo=_STR,
            created_at=_TIME,
        ),
        "description": _TXN_DESCRIPTION,
    },
    "TransactionPage": _obj(
        ["items", "next_cursor", "prev_cursor"],
        items={"type": "array", "items": _ref("Transaction")},
        next_cursor={
            **_NSTR,
            "description": "pass as ?cursor= (with the same filters) for the next, older "
            "page; null on the last page",
        },
        prev_cursor={
            **_NSTR,
            "description": "pass as ?cursor= (with the same filters) for the page before, "
            "newer lines; null on the first page",
        },
    ),
    "Statement": _obj(
        ["account_id", "month", "currency", "opening_balance", "closing_balance", "lines"],
        account_id=_STR,
        month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        currency=_STR,
        opening_balance=_ref("SignedAmount"),
        closing_balance=_ref("SignedAmount"),
        lines={
            "type": "array",
            "items": _ref("Transaction"),
            "description": "oldest first; closing = opening + the amounts",
        },
    ),
}

_PROBLEM_TEXT = {
    400: "The body is not JSON, or not a JSON object.",
    401: "No bearer token, or an unknown, revoked or expired one (WWW-Authenticate: Bearer). "
    "On POST /tokens: wrong email or password (the same answer for an unknown email), "
    "or a missing or wrong `otp` for an account with two-factor authentication: then "
    "`type` is https://flaskbank.example/problems/second-factor-required and `errors` "
    "names `otp`.",
    403: "The account must first replace its one-time password (in the web app).",
    404: "No such account: also the answer for another customer's account.",
    405: "The path exists but not with this method.",
    409: "The Idempotency-Key was used before with a different request.",
    413: "The body is larger than 64 KiB.",
    415: "The body is not sent as application/json.",
    422: "A field is missing, of the wrong JSON type or invalid, or the bank refuses the "
    "request (insufficient funds, same account, unknown recipient); `errors` names the "
    "fields.",
    429: "Too many requests: a rate limit (per address; per user for money movement), or "
    "on POST /tokens a login locked after repeated failures. Retry-After says how many "
    "seconds to wait; nothing was done.",
    503: "The store is busy or unavailable; nothing was posted. Retry (Retry-After).",
}

_RESPONSES = {
    str(s): {"description": d, "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    for s, d in _PROBLEM_TEXT.items()
}

_PARAMETERS = {
    "AccountId": {"name": "account_id", "in": "path", "required": True, "schema": _STR},
    "Month": {
        "name": "month",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": "Send a fresh key (e.g. a UUID) with each money-moving request. A retry "
        "with the same key and body posts nothing new and answers the first "
        "response again, with `Idempotent-Replayed: true`; the same key with "
        "another body is a 409.",
    },
}

_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this answers a retry",
        "schema": {"type": "string", "enum": ["true"]},
    }
}

_BODY_ERRORS = (400, 413, 415, 422)


def _money_op(summary: str, body: str, path_account: bool) -> dict[str, Any]:
    params = [{"$ref": "#/components/parameters/IdempotencyKey"}]
    if path_account:
        params.insert(0, {"$ref": "#/components/parameters/AccountId"})
    return {
        "post": {
            "summary": summary,
            "parameters": params,
            "requestBody": _body(body),
            "responses": {
                "201": {
                    **_ok(
                        "Transaction",
                        "Posted (or replayed); the transaction "
                        "as the sending or depositing account sees it.",
                    ),
                    "headers": _REPLAYED,
                },
                **(
                    {}
                    if path_account
                    else {
                        "202": {
                            **_ok(
                                "PendingTransfer",
                                "Accepted, waiting for review: the amount is held on the "
                                "source account and nothing has moved. Location: the hold.",
                            ),
                            "headers": {"Location": {"schema": _STR}},
                        }
                    }
                ),
                **_problems(*_BODY_ERRORS, 401, 404, 409, 429, 503),
            },
        }
    }


_PUBLIC: list[dict[str, Any]] = []
_HOLD_ID = {"name": "hold_id", "in": "path", "required": True, "schema": _STR}
_ORDER_ID = {"name": "order_id", "in": "path", "required": True, "schema": _STR}

PATHS: dict[str, Any] = {
    "/users": {
        "post": {
            "summary": "Register a customer",
            "security": _PUBLIC,
            "requestBody": _body("NewUser"),
            "responses": {
                "201": {**_ok("User", "Registered"), "headers": {"Location": {"schema": _STR}}},
                **_problems(*_BODY_ERRORS, 429),
            },
        }
    },
    "/tokens": {
        "post": {
            "summary": "Get a bearer token",
            "security": _PUBLIC,
            "requestBody": _body("Credentials"),
            "responses": {"201": _ok("Token", "Issued"), **_problems(*_BODY_ERRORS, 401, 403, 429)},
        }
    },
    "/tokens/current": {
        "delete": {
            "summary": "Revoke the token this request was sent with",
            "responses": {"204": {"description": "Revoked"}, **_problems(401)},
        }
    },
    "/me": {
        "get": {"summary": "Your profile", "responses": {"200": _ok("User"), **_problems(401)}},
        "patch": {
            "summary": "Change your profile or password",
            "requestBody": _body("ProfileChange"),
            "responses": {"200": _ok("User"), **_problems(*_BODY_ERRORS, 401)},
        },
    },
    "/accounts": {
        "get": {
            "summary": "Your accounts",
            "responses": {"200": _ok("AccountList"), **_problems(401)},
        },
        "post": {
            "summary": "Open an account",
            "requestBody": _body("NewAccount"),
            "responses": {
                "201": {**_ok("Account", "Opened"), "headers": {"Location": {"schema": _STR}}},
                **_problems(*_BODY_ERRORS, 401),
            },
        },
    },
    "/accounts/{account_id}": {
        "get": {
            "summary": "One of your accounts",
            "parameters": [{"$ref": "#/components/parameters/AccountId"}],
            "responses": {"200": _ok("Account"), **_problems(401, 404)},
        }
    },
    "/accounts/{account_id}/deposits": _money_op("Deposit cash", "CashMovement", True),
    "/accounts/{account_id}/withdrawals": _money_op("Withdraw cash", "CashMovement", True),
    "/transfers": _money_op("Send money to another account", "Transfer", False),
    "/accounts/{account_id}/holds": {
        "get": {
            "summary": "The account's holds, newest first",
            "parameters": [
                {"$ref": "#/components/parameters/AccountId"},
                {"name": "status", "in": "query", "schema": {"enum": ["open"]}},
            ],
            "responses": {"200": _ok("HoldList"), **_problems(401, 404, 422)},
        }
    },
    "/accounts/{account_id}/holds/{hold_id}": {
        "get": {
            "summary": "One hold on your account",
            "parameters": [{"$ref": "#/components/parameters/AccountId"}, _HOLD_ID],
            "responses": {"200": _ok("Hold"), **_problems(401, 404)},
        }
    },
    "/accounts/{account_id}/holds/{hold_id}/cancel": {
        "post": {
            "summary": "Cancel your transfer while it waits for review: nothing is sent",
            "parameters": [{"$ref": "#/components/parameters/AccountId"}, _HOLD_ID],
            "responses": {
                "200": _ok("Hold", "Cancelled (status voided)"),
                **_problems(401, 403, 404, 409),
            },
        }
    },
    "/standing-orders": {
        "get": {
            "summary": "Your standing orders, newest first",
            "responses": {"200": _ok("StandingOrderList"), **_problems(401)},
        },
        "post": {
            "summary": "Set up a standing order",
            "requestBody": _body("NewStandingOrder"),
            "responses": {
                "201": {
                    **_ok("StandingOrder", "Created"),
                    "headers": {"Location": {"schema": _STR}},
                },
                **_problems(*_BODY_ERRORS, 401, 404),
            },
        },
    },
    "/standing-orders/{order_id}": {
        "get": {
            "summary": "One standing order with its latest runs",
            "parameters": [_ORDER_ID],
            "responses": {"200": _ok("StandingOrder"), **_problems(401, 404)},
        }
    },
    "/standing-orders/{order_id}/cancel": {
        "post": {
            "summary": "Cancel a standing order (what it paid stays paid)",
            "parameters": [_ORDER_ID],
            "responses": {"200": _ok("StandingOrder"), **_problems(401, 404)},
        }
    },
    "/accounts/{account_id}/transactions": {
        "get": {
            "summary": "The account's transactions, newest first",
            "parameters": [
                {"$ref": "#/components/parameters/AccountId"},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "schema": _STR,
                    "description": "next_cursor from the previous page; anything else is a 422",
                },
                {
                    "name": "since",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "first day (UTC), inclusive",
                },
                {
                    "name": "until",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "last day (UTC), inclusive",
                },
                {
                    "name": "type",
                    "in": "query",
                    "schema": {"enum": ["deposit", "withdrawal", "transfer"]},
                },
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": SEARCH_TEXT_MAX},
                    "description": "text the counterparty (as shown: 'Cash deposit', "
                    "'Bob Builder · 1234 5678') or the memo contains, in any case",
                },
                {
                    "name": "min_amount",
                    "in": "query",
                    "schema": _BOUND,
                    "description": "smallest amount, inclusive, whichever way the money "
                    "went (10.00 finds -12.00 and 12.00)",
                },
                {
                    "name": "max_amount",
                    "in": "query",
                    "schema": _BOUND,
                    "description": "largest amount, inclusive, whichever way the money went",
                },
            ],
            "responses": {"200": _ok("TransactionPage"), **_problems(401, 404, 422)},
        }
    },
    "/accounts/{account_id}/statements/{month}": {
        "get": {
            "summary": "A monthly statement",
            "parameters": [
                {"$ref": "#/components/parameters/AccountId"},
                {"$ref": "#/components/parameters/Month"},
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"enum": ["json", "csv", "pdf"], "default": "json"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The statement; as CSV when format=csv: UTF-8 with a "
                    "byte order mark, columns date (YYYY-MM-DD, UTC), type, description "
                    "(the counterparty), memo, amount, balance_after, an opening row dated "
                    "the month's first day and a closing row dated its last day, or today "
                    "while the month runs (text cells that a spreadsheet would run as "
                    "formulas are prefixed with '); as PDF when format=pdf: the bank's "
                    "letterhead, the customer's name, the account, the period, the opening "
                    "balance, each line and the closing balance.",
                    "content": {
                        "application/json": {"schema": _ref("Statement")},
                        "text/csv": {"schema": _STR},
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "404": {
                    # OpenAPI 3.1 lets a reference override its description.
                    **_problems(404)["404"],
                    "description": "No such account, or a month before the account "
                    "was opened or after the current one",
                },
                **_problems(401, 422, 503),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": _PUBLIC,
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Flask Bank API",
        "version": "1.0.0",
        "description": (
            "Amounts are JSON strings with at most two decimals; a JSON number is refused. "
            "Send bodies as application/json (anything else is a 415); a body that is not a "
            "JSON object is a 400. Unknown fields in a body are ignored. A field of the wrong "
            "JSON type is a 422 naming it. Errors are application/problem+json. The API "
            "accepts bearer tokens only, never the browser's session cookie."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from POST /tokens",
            }
        },
        "schemas": _SCHEMAS,
        "parameters": _PARAMETERS,
        "responses": _RESPONSES,
    },
}

# The staff API documents its own routes; it lives with the staff blueprint.
from ..staff.openapi import extend  # noqa: E402
from .payments_openapi import extend as extend_payments  # noqa: E402

extend(DOCUMENT)
extend_payments(DOCUMENT)
