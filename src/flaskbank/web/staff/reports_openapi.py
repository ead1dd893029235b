"""The reports' part of the staff OpenAPI fragment (paths relative to /api/v1)."""

from __future__ import annotations

from typing import Any

from ...services.analytics.deposit_growth import COLUMNS
from ...services.analytics.periods import Period

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_RANGE = [
    _param(
        "from", "YYYY-MM-DD, inclusive; default a year before today", {**_STR, "format": "date"}
    ),
    _param("to", "YYYY-MM-DD, inclusive; default today", {**_STR, "format": "date"}),
    _param(
        "period",
        "whole periods that cover from..to; weeks are ISO weeks (Monday first)",
        {"type": "string", "enum": [p.value for p in Period], "default": "month"},
    ),
    _param(
        "format",
        "json (the default) or csv: the same columns and rows as a CSV file",
        {"type": "string", "enum": ["json", "csv"]},
    ),
]

_CELLS = {
    "period_start": {**_STR, "format": "date"},
    "period_end": {**_STR, "format": "date"},
    "currency": _STR,
    "deposits": _MONEY,
    "withdrawals": _MONEY,
    "net_flow": _MONEY,
    "closing_balance": _MONEY,
    "growth_vs_previous_pct": {
        **_NSTR,
        "description": "null when the previous period closed at zero",
    },
    "growth_vs_year_before_pct": {
        **_NSTR,
        "description": "null when the same period a year before closed at zero",
    },
}
assert tuple(_CELLS) == COLUMNS  # noqa: S101 (the document and the report agree, at import)

SCHEMAS: dict[str, Any] = {
    "AsOf": {
        "type": "object",
        "required": ["position", "at", "events"],
        "properties": {
            "position": {**_NSTR, "description": "the feed checkpoint the warehouse reached"},
            "at": {**_NSTR, "description": "the time of the last event it counts"},
            "events": {"type": "integer"},
        },
    },
    "DepositGrowth": {
        "type": "object",
        "required": ["report", "params", "as_of", "columns", "rows"],
        "properties": {
            "report": {"const": "deposit_growth"},
            "params": {
                "type": "object",
                "required": ["from", "to", "period"],
                "properties": {"from": _STR, "to": _STR, "period": _STR},
            },
            "as_of": {"$ref": "#/components/schemas/AsOf"},
            "columns": {"type": "array", "items": _STR},
            "rows": {
                "type": "array",
                "items": {"type": "object", "required": list(COLUMNS), "properties": _CELLS},
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/staff/reports/deposit_growth": {
        "get": {
            "summary": "Deposit growth: deposits, withdrawals, net flow and customers' total "
            "balances per period and currency, with growth against the previous period and "
            "the same period a year before",
            "description": "Financial managers, compliance officers and admins. Read from the "
            "analytics warehouse; as_of says how far it reflects the bank. Amounts are "
            "strings. Staff only: a customer's token gets a 404.",
            "parameters": _RANGE,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/DepositGrowth"}
                        },
                        "text/csv": {"schema": _STR},
                    },
                },
                **{str(s): {"$ref": f"#/components/responses/{s}"} for s in (401, 403, 404, 422)},
            },
        }
    },
}
