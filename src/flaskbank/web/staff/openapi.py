"""The staff API's part of the OpenAPI document (paths relative to /api/v1).

`extend(DOCUMENT)` adds it to web/api/openapi.py's document; that module's test requires
every route under /api/v1 to be described, so it must be called once the staff API is
registered. The fragment refers to the document's shared parameters and problem responses.
"""

from __future__ import annotations

from typing import Any

from ...services.staff import FREEZE_MESSAGES
from . import approvals_openapi, compliance_openapi, monitoring_openapi, reports_openapi

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": _STR,
        "description": description,
    }


_ROLES = "Staff only: a customer's token gets a 404, as for a path that does not exist."

SCHEMAS: dict[str, Any] = {
    "StaffAccount": {
        "allOf": [
            _ref("Account"),
            {
                "type": "object",
                "required": ["status_reason"],
                "properties": {
                    "status_reason": {
                        "type": "string",
                        "description": "what the owner of a frozen account is told (one of "
                        "the bank's messages; the staff's reason is internal)",
                    }
                },
            },
        ]
    },
    "Reason": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "description": "internal: the audit log and the event feed, never the customer",
            },
            "customer_message": {
                "type": "string",
                "enum": list(FREEZE_MESSAGES),
                "default": "review",
                "description": "on a freeze, which message the owner is shown: "
                + "; ".join(f"{k}: {v}" for k, v in FREEZE_MESSAGES.items()),
            },
        },
    },
    "CustomerList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("User")}},
    },
    "CustomerView": {
        "type": "object",
        "required": ["user", "accounts", "tokens", "notes", "pending_requests", "statement_months"],
        "properties": {
            "user": _ref("User"),
            "notes": {"type": "array", "items": _ref("Note"), "description": "newest first"},
            "pending_requests": {
                "type": "array",
                "items": _ref("ApprovalRequest"),
                "description": "this customer's requests waiting for a second person's "
                "approval, oldest first (as on the customer's page)",
            },
            "statement_months": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": _STR},
                "description": "per account id, the months with a statement, newest first",
            },
            "accounts": {
                "type": "array",
                "items": {
                    "allOf": [
                        _ref("StaffAccount"),
                        {
                            "type": "object",
                            "properties": {
                                "recent": {
                                    "type": "array",
                                    "items": _ref("Transaction"),
                                    "description": "the last 10, newest first",
                                }
                            },
                        },
                    ]
                },
            },
            "tokens": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "created_at", "expires_at", "state"],
                    "properties": {
                        "id": _STR,
                        "created_at": _STR,
                        "expires_at": _STR,
                        "state": {"enum": ["active", "expired", "revoked"]},
                    },
                },
            },
        },
    },
    "AuditEvent": {
        "type": "object",
        "required": ["id", "at", "action", "actor_id", "actor_email", "ip", "target", "details"],
        "properties": {
            "id": _STR,
            "at": _STR,
            "action": _STR,
            "actor_id": _NSTR,
            "actor_email": _STR,
            "ip": _STR,
            "target": _STR,
            "details": {"type": "object", "additionalProperties": _STR},
        },
    },
    "AuditPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref("AuditEvent")},
            "next_cursor": _NSTR,
        },
    },
}

SCHEMAS["NewHold"] = {
    "type": "object",
    "required": ["amount", "reason"],
    "properties": {
        "amount": _ref("Amount"),
        "reason": {"type": "string", "maxLength": 200},
        "expires_at": {"type": ["string", "null"], "description": "ISO 8601; null: until lifted"},
    },
}

RESPONSES: dict[str, Any] = {
    "403": {
        "description": "The token's staff role does not allow this.",
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    },
}

_ACCOUNT = {"$ref": "#/components/parameters/AccountId"}
_USER = {"name": "user_id", "in": "path", "required": True, "schema": _STR}
_HOLD = {"name": "hold_id", "in": "path", "required": True, "schema": _STR}


def _status_change(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": "Fraud analysts and admins. " + _ROLES,
            "parameters": [_ACCOUNT],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Reason")}},
            },
            "responses": {
                "200": _ok("StaffAccount"),
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        }
    }


def _hold_action(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": "Fraud analysts and admins; audited. A hold is resolved once: the "
            "second of two racing actions gets 409. " + _ROLES,
            "parameters": [_ACCOUNT, _HOLD],
            "responses": {"200": _ok("Hold"), **_problems(401, 403, 404, 409, 422)},
        }
    }


PATHS: dict[str, Any] = {
    "/staff/customers": {
        "get": {
            "summary": "Find customers by the start of a name, surname or email, an account "
            "number, or the last digits (6 or more) of a phone number",
            "description": "Every staff role. " + _ROLES,
            "parameters": [{**_query("q", "2 to 100 characters"), "required": True}],
            "responses": {"200": _ok("CustomerList"), **_problems(401, 403, 404, 422)},
        }
    },
    "/staff/customers/{user_id}": {
        "get": {
            "summary": "A customer, read only: profile, accounts with their last lines, tokens, "
            "notes and the requests waiting for approval",
            "description": "Every staff role. " + _ROLES,
            "parameters": [_USER],
            "responses": {"200": _ok("CustomerView"), **_problems(401, 403, 404)},
        }
    },
    "/staff/accounts/{account_id}/freeze": _status_change(
        "Freeze an account: it can no longer send money"
    ),
    "/staff/accounts/{account_id}/unfreeze": {
        "post": {
            "summary": "Ask for an account to be unfrozen: it stays frozen until another "
            "member of staff approves (POST /staff/approvals/{request_id}/approve)",
            "description": "Fraud analysts and admins; audited. The same request while one "
            "waits, or an account that is not frozen, is a 422. " + _ROLES,
            "parameters": [_ACCOUNT],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Reason")}},
            },
            "responses": {
                "202": {
                    "description": "Asked; waiting for approval",
                    "content": {"application/json": {"schema": _ref("ApprovalRequest")}},
                },
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        }
    },
    "/staff/accounts/{account_id}/holds": {
        "get": {
            "summary": "Every hold on an account, newest first",
            "description": "Every staff role. " + _ROLES,
            "parameters": [_ACCOUNT],
            "responses": {"200": _ok("HoldList"), **_problems(401, 403, 404)},
        },
        "post": {
            "summary": "Place a staff hold (legal, garnishment): refused like a debit when "
            "the available balance cannot cover it",
            "description": "Fraud analysts and admins; audited. " + _ROLES,
            "parameters": [_ACCOUNT],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewHold")}},
            },
            "responses": {
                "201": _ok("Hold"),
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        },
    },
    "/staff/accounts/{account_id}/holds/{hold_id}/release": _hold_action(
        "Release a hold: post a pending transfer as reviewed, or lift a staff hold"
    ),
    "/staff/accounts/{account_id}/holds/{hold_id}/void": _hold_action(
        "Void a hold: drop the reservation; a pending transfer is not sent"
    ),
    "/staff/audit": {
        "get": {
            "summary": "The audit log, newest first",
            "description": "Admins and compliance officers. " + _ROLES,
            "parameters": [
                _query("action", "one audit action"),
                _query("actor", "the actor's whole email"),
                _query("since", "YYYY-MM-DD, inclusive"),
                _query("until", "YYYY-MM-DD, inclusive"),
                _query("cursor", "next_cursor of the previous page"),
            ],
            "responses": {"200": _ok("AuditPage"), **_problems(401, 403, 404, 422)},
        }
    },
}


def extend(document: dict[str, Any]) -> dict[str, Any]:
    """Add the staff API to the API's OpenAPI document (in place; returned for chaining)."""
    document["paths"].update(PATHS)
    document["paths"].update(monitoring_openapi.PATHS)
    document["paths"].update(reports_openapi.PATHS)
    document["paths"].update(approvals_openapi.PATHS)
    document["paths"].update(compliance_openapi.PATHS)
    document["components"]["schemas"].update(SCHEMAS)
    document["components"]["schemas"].update(monitoring_openapi.SCHEMAS)
    document["components"]["schemas"].update(reports_openapi.SCHEMAS)
    document["components"]["schemas"].update(approvals_openapi.SCHEMAS)
    document["components"]["schemas"].update(compliance_openapi.SCHEMAS)
    document["components"]["responses"].update(RESPONSES)
    return document
