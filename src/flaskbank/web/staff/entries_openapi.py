"""The drill-down's part of the staff OpenAPI fragment (reports_openapi.py adds it to its
own): GET /staff/reports/entries, its filters and what it answers."""

from __future__ import annotations

from typing import Any

from ...domain.accounts import AccountType
from ...domain.ledger import TransactionType
from ...domain.money import MINOR_UNITS
from ...services.analytics.drilldown import COLUMNS, TOTALS
from ...services.analytics.entry_params import MAX_LIFE_MONTHS, MAX_PAGE_SIZE, PAGE_SIZE
from ...warehouse.entries import Measure, Side

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_COUNT = {"type": "string", "pattern": r"^[0-9]+$"}
_DATE = {**_STR, "format": "date"}


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_MARK = "a page mark from the answer's `newer` or `older` link"
PARAMETERS = [
    _param("from", "YYYY-MM-DD: entries on this day or later (reporting time zone)", _DATE),
    _param("to", "YYYY-MM-DD: entries on this day or earlier (reporting time zone)", _DATE),
    _param("currency", "one currency", {"type": "string", "enum": list(MINOR_UNITS)}),
    _param(
        "type",
        "transaction types, separated by commas (or the parameter repeated): "
        + ", ".join(t.value for t in TransactionType),
        _STR,
    ),
    _param(
        "account_type",
        "the entry's account's type",
        {"type": "string", "enum": [a.value for a in AccountType]},
    ),
    _param(
        "segment",
        "the customer's segment (`unknown`: a customer whose segment is not known)",
        {**_STR, "pattern": "^[a-z0-9_]{1,40}$"},
    ),
    _param("customer_id", "one customer", {**_STR, "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
    _param("account_id", "one account", {**_STR, "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
    _param(
        "side",
        "all entries (the default), only credits (amount > 0) or only debits (< 0)",
        {"type": "string", "enum": [s.value for s in Side], "default": "all"},
    ),
    _param(
        "weekday",
        "the entry's day of the week (reporting time zone): 1 Monday to 7 Sunday",
        {"type": "integer", "minimum": 1, "maximum": 7},
    ),
    _param(
        "hour",
        "the hour the entry was posted, in the reporting time zone: 0 (00:00-00:59) to 23",
        {"type": "integer", "minimum": 0, "maximum": 23},
    ),
    _param(
        "open_at_end",
        "`true`: only accounts that exist at the end of `to` (not closed then: their last"
        " status change on or before that day is not `closed`); needs `to`",
        {"type": "string", "enum": ["true"]},
    ),
    _param(
        "signed_up_from",
        "YYYY-MM-DD: only customers (role customer) who signed up on this day or later"
        " (reporting time zone)",
        _DATE,
    ),
    _param(
        "signed_up_to",
        "YYYY-MM-DD: only customers (role customer) who signed up on this day or earlier",
        _DATE,
    ),
    _param(
        "life_months",
        "k: only customers' entries from their signup day up to their own k-month"
        " anniversary (the signup day plus k calendar months; a day the month lacks is its"
        " last); needs signed_up_from and signed_up_to",
        {"type": "integer", "minimum": 0, "maximum": MAX_LIFE_MONTHS},
    ),
    _param(
        "size",
        "entries per page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
    ),
    _param("older", f"the page after it: older entries ({_MARK})", _STR),
    _param("newer", f"the page before it: newer entries ({_MARK}); not with older", _STR),
    _param(
        "measure",
        "which total the figure followed here equals (a report's drill link sets it)",
        {"type": "string", "enum": [m.value for m in Measure]},
    ),
]

_CELLS: dict[str, dict[str, Any]] = {"money": _MONEY, "count": _COUNT, "date": _DATE, "text": _NSTR}

SCHEMAS: dict[str, Any] = {
    "DrillLink": {
        "type": "object",
        "required": ["href", "measure"],
        "properties": {
            "href": {
                **_STR,
                "description": "GET /staff/reports/entries with the figure's filter, or"
                " /staff/reports/customers for a figure that counts customers",
            },
            "measure": {
                "type": "string",
                "enum": [*(m.value for m in Measure), "customers"],
                "description": "the total of that list that equals the figure",
            },
        },
    },
    "EntryList": {
        "type": "object",
        "required": [
            "params",
            "as_of",
            "measure",
            "totals",
            "columns",
            "entries",
            "newer",
            "older",
        ],
        "properties": {
            "params": {"type": "object", "additionalProperties": _STR},
            "as_of": {"$ref": "#/components/schemas/AsOf"},
            "measure": {"type": ["string", "null"], "enum": [*(m.value for m in Measure), None]},
            "totals": {
                "type": "array",
                "description": "one per currency, over every entry selected (not the page)",
                "items": {
                    "type": "object",
                    "required": [c.name for c in TOTALS],
                    "properties": {
                        c.name: {**_CELLS[c.kind.value], "title": c.title} for c in TOTALS
                    },
                },
            },
            "columns": {"type": "array", "items": _STR},
            "entries": {
                "type": "array",
                "description": "newest first (posted_at, transaction_id, account_id)",
                "items": {
                    "type": "object",
                    "required": [c.name for c in COLUMNS],
                    "properties": {
                        c.name: {**_CELLS[c.kind.value], "title": c.title} for c in COLUMNS
                    },
                },
            },
            "newer": {**_NSTR, "description": "the previous page's address; null on the newest"},
            "older": {**_NSTR, "description": "the next page's address; null on the oldest"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/staff/reports/entries": {
        "get": {
            "summary": "The entries behind a report's figure: filterable, paged newest first",
            "description": "Financial managers, compliance officers and admins. Read from the "
            "analytics warehouse. Every filter is optional. A report's `drill` links open "
            "this list with a figure's filter; the total named by `measure` equals the "
            "figure. Pages follow keyset marks (`newer`, `older`), not offsets.",
            "parameters": PARAMETERS,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/EntryList"}}
                    },
                },
                **{str(s): {"$ref": f"#/components/responses/{s}"} for s in (401, 403, 404, 422)},
            },
        }
    }
}
