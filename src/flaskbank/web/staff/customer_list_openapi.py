"""The customer list's part of the staff OpenAPI fragment (reports_openapi.py adds it to its
own): GET /staff/reports/customers, its filters and what it answers."""

from __future__ import annotations

from typing import Any

from ...services.analytics.customer_list import COLUMNS
from ...services.analytics.customer_params import ENTRY_FIELDS
from ...services.analytics.drilldown import CUSTOMERS
from ...services.analytics.entry_params import MAX_LIFE_MONTHS, MAX_PAGE_SIZE, PAGE_SIZE
from ...warehouse.customers import ACTIVATION_DAYS, CATEGORIES
from . import entries_openapi
from .entries_openapi import _DATE, _NSTR, _STR, _param

_COUNT = {"type": "string", "pattern": r"^[0-9]+$"}
_NDATE = {"type": ["string", "null"], "format": "date"}
_CELLS: dict[str, dict[str, Any]] = {
    "customer_id": _STR,
    "signed_up": _DATE,
    "segment": _NSTR,  # null: not known
    "last_entry": _NDATE,  # null: none by then
    "category": {"type": ["string", "null"], "enum": [*CATEGORIES, None]},  # null: no `at`
}
_MARK = "a page mark from the answer's `newer` or `older` link"
PARAMETERS = [
    _param("signed_up_from", "YYYY-MM-DD: customers who signed up on this day or later", _DATE),
    _param("signed_up_to", "YYYY-MM-DD: customers who signed up on this day or earlier", _DATE),
    _param(
        "segment",
        "the customer's segment (`unknown`: a customer whose segment is not known)",
        {**_STR, "pattern": "^[a-z0-9_]{1,40}$"},
    ),
    _param(
        "activated",
        f"`true`: only customers with a deposit by the {ACTIVATION_DAYS}th day after signing up",
        {"type": "string", "enum": ["true"]},
    ),
    _param(
        "active_in_month",
        "k: only customers with an entry in month k of their life (after their (k-1)-month"
        " anniversary, up to and including the k-month one)",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIFE_MONTHS},
    ),
    _param(
        "at",
        "YYYY-MM-DD: only customers signed up by the end of this day; each listed with their"
        " last entry on or before it and their category at its end",
        _DATE,
    ),
    _param(
        "category",
        "only customers of this category at the end of `at` (needed), as customer activity"
        " counts them",
        {"type": "string", "enum": list(CATEGORIES)},
    ),
    *(
        _param(
            f"entry_{p['name']}",
            "only customers with at least one entry that the entry list's parameter"
            f" `{p['name']}` selects ({p['description']})",
            p["schema"],
        )
        for p in entries_openapi.PARAMETERS
        if p["name"] in ENTRY_FIELDS
    ),
    _param(
        "size",
        "customers per page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
    ),
    _param("older", f"the page after it: earlier signups ({_MARK})", _STR),
    _param("newer", f"the page before it: later signups ({_MARK}); not with older", _STR),
]

SCHEMAS: dict[str, Any] = {
    "CustomerList": {
        "type": "object",
        "required": [
            "params",
            "as_of",
            "measure",
            "totals",
            "columns",
            "customers",
            "newer",
            "older",
        ],
        "properties": {
            "params": {"type": "object", "additionalProperties": _STR},
            "as_of": {"$ref": "#/components/schemas/AsOf"},
            "measure": {"const": CUSTOMERS},
            "totals": {
                "type": "array",
                "description": "one object: how many customers the whole filter selects (not"
                " the page), which a figure that counts customers equals",
                "items": {
                    "type": "object",
                    "required": [CUSTOMERS],
                    "properties": {CUSTOMERS: _COUNT},
                },
            },
            "columns": {"type": "array", "items": _STR},
            "customers": {
                "type": "array",
                "description": "the latest signups first (signup day, then id, descending)",
                "items": {
                    "type": "object",
                    "required": [c.name for c in COLUMNS],
                    "properties": {c.name: {**_CELLS[c.name], "title": c.title} for c in COLUMNS},
                },
            },
            "newer": {**_NSTR, "description": "the previous page's address; null on the first"},
            "older": {**_NSTR, "description": "the next page's address; null on the last"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/staff/reports/customers": {
        "get": {
            "summary": "The customers behind a report's figure that counts customers: paged",
            "description": "Financial managers, compliance officers and admins. Read from the "
            "analytics warehouse. Every filter is optional. A report's `drill` links with "
            "`measure` `customers` open this list with a figure's filter; `totals[0].customers` "
            "equals the figure. Pages follow keyset marks (`newer`, `older`), not offsets.",
            "parameters": PARAMETERS,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CustomerList"}
                        }
                    },
                },
                **{str(s): {"$ref": f"#/components/responses/{s}"} for s in (401, 403, 404, 422)},
            },
        }
    }
}
