"""The OpenAPI fragment of the staff API's customer file and two-person approval
(web/staff/customers_api.py), added by openapi.extend."""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_ROLES = "Staff only: a customer's token gets a 404, as for a path that does not exist."
_USER = {"name": "user_id", "in": "path", "required": True, "schema": _STR}
_ACCOUNT = {"$ref": "#/components/parameters/AccountId"}
_REQUEST = {"name": "request_id", "in": "path", "required": True, "schema": _STR}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str, status: str = "OK") -> dict[str, Any]:
    return {"description": status, "content": {"application/json": {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": _STR,
        "description": description,
    }


_DETAIL = (
    "What the action needs beyond its target; only close_account takes one: the id of the "
    "customer's other open account in the same currency that receives the balance, or "
    "'payout' (a cheque). Left out, close_account pays out when the customer has no other "
    "such account and is a 422 naming `detail` when they have. On approval the whole "
    "balance at that moment moves and the account closes, in one step; refused (422) at "
    "request and at approval for an account that is closed, frozen, overdrawn or has money "
    "on hold, or a destination that is not the customer's open account."
)

SCHEMAS: dict[str, Any] = {
    "Note": {
        "type": "object",
        "required": ["id", "at", "author_email", "text"],
        "properties": {"id": _STR, "at": _STR, "author_email": _STR, "text": _STR},
    },
    "NoteList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("Note")}},
    },
    "NewNote": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}},
    },
    "ApprovalRequest": {
        "type": "object",
        "required": [
            "id",
            "action",
            "title",
            "target",
            "detail",
            "customer_id",
            "reason",
            "requested_by_email",
            "requested_at",
            "expires_at",
            "status",
            "decided_by_email",
            "decided_at",
        ],
        "properties": {
            "id": _STR,
            "action": {
                "type": "string",
                "description": "reset_second_factor (target: the customer's id; asked by any "
                "staff role, approved by an admin), send_password_reset (the same; the link "
                "goes to the customer's address on file), unfreeze_account (target: the "
                "account id; fraud analysts and admins ask and approve) or close_account "
                "(target: the account id; any staff role asks, fraud analysts and admins "
                "approve; detail: where the balance goes)",
            },
            "title": _STR,
            "target": _STR,
            "detail": {
                "type": ["string", "null"],
                "description": _DETAIL,
            },
            "customer_id": _STR,
            "reason": _STR,
            "requested_by_email": _STR,
            "requested_at": _STR,
            "expires_at": {"type": "string", "description": "24 hours after it was asked"},
            "status": {"enum": ["pending", "approved", "rejected", "expired"]},
            "decided_by_email": _NSTR,
            "decided_at": _NSTR,
        },
    },
    "ApprovalList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("ApprovalRequest")}},
    },
    "NewApprovalRequest": {
        "type": "object",
        "required": ["action", "target", "reason"],
        "properties": {
            "action": {
                "enum": [
                    "reset_second_factor",
                    "send_password_reset",
                    "unfreeze_account",
                    "close_account",
                ]
            },
            "target": _STR,
            "detail": {"type": ["string", "null"], "description": _DETAIL},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500},
        },
    },
}

_DECIDE = (
    "Nobody decides on their own request (403), nor on one already decided or lapsed (422); "
    "of two staff deciding at once, one wins and the other gets 422. "
)

PATHS: dict[str, Any] = {
    "/staff/customers/{user_id}/notes": {
        "get": {
            "summary": "A customer's internal notes, newest first (never shown to them)",
            "description": "Every staff role. " + _ROLES,
            "parameters": [_USER],
            "responses": {"200": _ok("NoteList"), **_problems(401, 403, 404)},
        },
        "post": {
            "summary": "Add an internal note; notes are never changed or removed",
            "description": "Every staff role; audited. " + _ROLES,
            "parameters": [_USER],
            "requestBody": _body("NewNote"),
            "responses": {
                "201": _ok("Note", "Created"),
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        },
    },
    "/staff/customers/{user_id}/accounts/{account_id}/transactions": {
        "get": {
            "summary": "A customer's account history, paged as the customer's own",
            "description": "Every staff role; audited. " + _ROLES,
            "parameters": [
                _USER,
                _ACCOUNT,
                _query("cursor", "next_cursor or prev_cursor of another page"),
                _query("since", "YYYY-MM-DD, inclusive"),
                _query("until", "YYYY-MM-DD, inclusive"),
                _query("type", "deposit, withdrawal or transfer"),
                _query("q", "text the counterparty or memo contains"),
            ],
            "responses": {"200": _ok("TransactionPage"), **_problems(401, 403, 404, 422)},
        }
    },
    "/staff/customers/{user_id}/accounts/{account_id}/statements/{month}": {
        "get": {
            "summary": "A customer's monthly statement",
            "description": "Every staff role; audited. 404 for a month before the account "
            "was opened or after the current one. " + _ROLES,
            "parameters": [_USER, _ACCOUNT, {"$ref": "#/components/parameters/Month"}],
            "responses": {"200": _ok("Statement"), **_problems(401, 403, 404, 422)},
        }
    },
    "/staff/approvals": {
        "get": {
            "summary": "Requests waiting for a second person's approval, oldest first",
            "description": "Every staff role. " + _ROLES,
            "responses": {"200": _ok("ApprovalList"), **_problems(401, 403, 404)},
        },
        "post": {
            "summary": "Ask for a sensitive action; it runs once another member of staff approves",
            "description": "The role the action names; audited. The same request while one "
            "waits is a 422. " + _ROLES,
            "requestBody": _body("NewApprovalRequest"),
            "responses": {
                "201": _ok("ApprovalRequest", "Created"),
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        },
    },
    "/staff/approvals/{request_id}/approve": {
        "post": {
            "summary": "Approve someone else's request: its action runs, once",
            "description": "The approving role the action names; audited. " + _DECIDE + _ROLES,
            "parameters": [_REQUEST],
            "responses": {"200": _ok("ApprovalRequest"), **_problems(401, 403, 404, 422)},
        }
    },
    "/staff/approvals/{request_id}/reject": {
        "post": {
            "summary": "Reject someone else's request: nothing runs",
            "description": "The approving role the action names; audited. " + _DECIDE + _ROLES,
            "parameters": [_REQUEST],
            "responses": {"200": _ok("ApprovalRequest"), **_problems(401, 403, 404, 422)},
        }
    },
}
