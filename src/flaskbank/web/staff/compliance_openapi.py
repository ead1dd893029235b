"""The OpenAPI fragment of the staff API's compliance review and corrective actions
(web/staff/compliance.py), added by openapi.extend."""

from __future__ import annotations

from typing import Any

from ...domain.compliance import ACTION_MAX

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_MONEY = {"$ref": "#/components/schemas/SignedAmount"}
_ROLES = (
    "Compliance officers and admins; other staff get a 403, and a customer's token a 404, "
    "as for a path that does not exist."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _day(name: str, default: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
        "description": f"YYYY-MM-DD, inclusive; default {default}. A bad date is a 422 naming "
        "the field.",
    }


_ACTIONS = {"actions": _list("CorrectiveAction")}
_ENTRIES = {
    **_STR,
    "description": "The entries behind the finding: /staff/reports/entries narrowed to the "
    "customer's cash of those days.",
}

SCHEMAS: dict[str, Any] = {
    "CorrectiveAction": _object(
        id=_STR, finding=_STR, customer_id=_STR, at=_STR, author_email=_STR, text=_STR
    ),
    "NewCorrectiveAction": {
        "type": "object",
        "required": ["finding", "text"],
        "properties": {
            "finding": {**_STR, "description": "a finding's `finding` key from the review"},
            "text": {"type": "string", "minLength": 1, "maxLength": ACTION_MAX},
        },
    },
    "LargeCash": _object(
        finding=_STR,
        customer_id=_STR,
        name=_STR,
        day=_STR,
        currency=_STR,
        transactions=_INT,
        total=_MONEY,
        entries=_ENTRIES,
        **_ACTIONS,
    ),
    "Structuring": _object(
        finding=_STR,
        customer_id=_STR,
        name=_STR,
        first_day=_STR,
        last_day=_STR,
        currency=_STR,
        deposits=_INT,
        total=_MONEY,
        entries=_ENTRIES,
        **_ACTIONS,
    ),
    "KycGap": _object(
        finding=_STR,
        customer_id=_STR,
        name=_STR,
        email=_STR,
        missing={"type": "array", "items": {"enum": ["phone", "address", "date_of_birth"]}},
        **_ACTIONS,
    ),
    "FrozenAccount": _object(
        finding=_STR,
        account_id=_STR,
        number=_STR,
        customer_id=_STR,
        name=_STR,
        reason={**_STR, "description": "the internal reason of the latest freeze"},
        since=_STR,
        frozen_by=_STR,
        **_ACTIONS,
    ),
    "ComplianceReview": _object(
        rules=_object(
            cash_report_over=_MONEY, structuring_from=_MONEY, structuring_window_days=_INT
        ),
        **{"from": _STR},
        to=_STR,
        as_of=_object(position=_NSTR, at=_NSTR, events=_INT),
        large_cash=_list("LargeCash"),
        structuring=_list("Structuring"),
        kyc_gaps=_object(count=_INT, items=_list("KycGap")),
        frozen_accounts=_list("FrozenAccount"),
    ),
}

PATHS: dict[str, Any] = {
    "/staff/compliance": {
        "get": {
            "summary": "The compliance review of a period: large cash, possible structuring, "
            "KYC gaps and frozen accounts, each with its corrective actions",
            "description": "Cash (deposits and withdrawals) comes from the analytics "
            "warehouse, by day in the reporting time zone; KYC gaps and frozen accounts are "
            "as they are now. At most 366 days. " + _ROLES,
            "parameters": [_day("from", "29 days before `to`"), _day("to", "today")],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _ref("ComplianceReview")}},
                },
                **_problems(401, 403, 404, 422),
            },
        }
    },
    "/staff/compliance/actions": {
        "post": {
            "summary": "Record a corrective action against a finding; never changed or removed",
            "description": "Audited. A finding about a customer (or account) that does not "
            "exist is a 404. " + _ROLES,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewCorrectiveAction")}},
            },
            "responses": {
                "201": {
                    "description": "Created",
                    "content": {"application/json": {"schema": _ref("CorrectiveAction")}},
                },
                **_problems(400, 401, 403, 404, 413, 415, 422),
            },
        }
    },
}
