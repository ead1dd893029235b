"""The reports' part of the staff OpenAPI fragment (paths relative to /api/v1), written
from the reports' own descriptions (services/analytics/catalog.py): one path per report,
its filters as parameters and its columns with their types."""

from __future__ import annotations

from typing import Any

from ...services.analytics.catalog import Column, Kind, Spec
from ...services.analytics.periods import Period
from ...services.analytics.reports import SPECS
from . import customer_list_openapi, entries_openapi
from .report_exports import FORMATS

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_CELL: dict[Kind, dict[str, Any]] = {
    Kind.DATE: {**_STR, "format": "date"},
    Kind.TEXT: _NSTR,
    Kind.MONEY: {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
    Kind.COUNT: {"type": ["string", "null"], "pattern": r"^-?[0-9]+$"},
    Kind.PCT: {
        "type": ["string", "null"],
        "pattern": r"^-?[0-9]+\.[0-9]{2}$",
        "description": "a percentage; null where the base it is taken of is zero",
    },
}


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def formats() -> list[str]:
    return ["json", *FORMATS]


def _range() -> list[dict[str, Any]]:
    return [
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
            "json (the default), or the report as a file",
            {"type": "string", "enum": formats()},
        ),
    ]


def _rows(columns: tuple[Column, ...]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": [c.name for c in columns],
            "properties": {c.name: {**_CELL[c.kind], "title": c.title} for c in columns},
        },
    }


def _path(spec: Spec) -> dict[str, Any]:
    filters = [
        _param(
            f.name,
            f.title,
            {"type": "string", "enum": list(f.choices)} if f.choices else _STR,
        )
        for f in spec.filters
    ]
    return {
        "get": {
            "summary": f"{spec.title}: {spec.summary}",
            "description": "Financial managers, compliance officers and admins. Read from the "
            "analytics warehouse; as_of says how far it reflects the bank. Amounts are "
            "strings. Staff only: a customer's token gets a 404.",
            "parameters": _range() + filters,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/Report_{spec.name}"}
                        },
                        **{f"{_MIME[f]}": {"schema": _STR} for f in formats()[1:]},
                    },
                },
                **{str(s): {"$ref": f"#/components/responses/{s}"} for s in (401, 403, 404, 422)},
            },
        }
    }


_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


_DRILL = {
    "type": "array",
    "description": "beside rows, one object per row: for each figure with a drill-down "
    "(by column), the entries (or, for a count of customers, the customers) behind it; {} "
    "for a row with none",
    "items": {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/DrillLink"},
    },
}


def _schema(spec: Spec, columns: tuple[Column, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["report", "params", "as_of", "columns", "rows", "drill", "tables"],
        "properties": {
            "report": {"const": spec.name},
            "params": {
                "type": "object",
                "required": ["from", "to", "period"],
                "additionalProperties": _STR,
            },
            "as_of": {"$ref": "#/components/schemas/AsOf"},
            "columns": {"type": "array", "items": _STR},
            "rows": _rows(columns),
            "drill": _DRILL,
            "tables": {
                "type": "object",
                "description": "the report's further tables, by name",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "title": _STR,
                        "columns": {"type": "array", "items": _STR},
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "drill": _DRILL,
                    },
                },
            },
        },
    }


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
    **{f"Report_{s.name}": _schema(s, s.columns) for s in SPECS.values()},
    **entries_openapi.SCHEMAS,
    **customer_list_openapi.SCHEMAS,
}

PATHS: dict[str, Any] = {
    **{f"/staff/reports/{s.name}": _path(s) for s in SPECS.values()},
    **entries_openapi.PATHS,
    **customer_list_openapi.PATHS,
}


# -- saved reports ---------------------------------------------------------------------------
def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


_REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": _STR}
_SAVERS = (
    "Financial managers and admins (Permission.BUILD_REPORTS); audited. Staff only: a "
    "customer's token gets a 404."
)
_READERS = (
    "Financial managers, compliance officers and admins. Staff only: a customer's token gets a 404."
)

SCHEMAS["SavedReport"] = {
    "type": "object",
    "required": ["id", "name", "report", "params", "owner", "created_at", "link"],
    "properties": {
        "id": _STR,
        "name": {**_STR, "minLength": 1, "maxLength": 80},
        "report": {"type": "string", "enum": list(SPECS)},
        "params": {
            "type": "object",
            "required": ["from", "to", "period"],
            "additionalProperties": _STR,
            "description": "the report's query as it was saved (from, to, period, filters)",
        },
        "owner": {**_STR, "description": "the email of the staff member who saved it"},
        "created_at": {**_STR, "format": "date-time"},
        "link": {**_STR, "description": "the staff page that opens it (shareable)"},
    },
}
SCHEMAS["SavedReportList"] = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": _ref("SavedReport")}},
}
SCHEMAS["SavedReportNew"] = {
    "type": "object",
    "required": ["name", "report"],
    "properties": {
        "name": {
            **_STR,
            "minLength": 1,
            "maxLength": 80,
            "description": "unique in the bank, whatever its case",
        },
        "report": {"type": "string", "enum": list(SPECS)},
        "params": {
            "type": "object",
            "additionalProperties": _STR,
            "description": "the report's query parameters (from, to, period and its "
            "filters, e.g. the builder's metric and group_by), checked as the report checks "
            "them; from and to default to a year before today and today",
        },
    },
}
SCHEMAS["SavedReportRun"] = {
    "description": "The report, as GET /staff/reports/{name} answers it, with the saved one",
    "allOf": [
        {"type": "object", "required": ["report", "params", "as_of", "columns", "rows"]},
        {
            "type": "object",
            "required": ["saved"],
            "properties": {
                "report": {"type": "string", "enum": list(SPECS)},
                "params": {"type": "object", "additionalProperties": _STR},
                "as_of": _ref("AsOf"),
                "columns": {"type": "array", "items": _STR},
                "rows": {"type": "array", "items": {"type": "object"}},
                "tables": {"type": "object"},
                "saved": _ref("SavedReport"),
            },
        },
    ],
}

PATHS["/staff/reports/saved"] = {
    "get": {
        "summary": "Saved reports, by name",
        "description": _READERS,
        "responses": {**_ok("SavedReportList"), **_problems(401, 403, 404)},
    },
    "post": {
        "summary": "Save a report's parameters under a name",
        "description": _SAVERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("SavedReportNew")}},
        },
        "responses": {
            "201": _ok("SavedReport", "Saved"),
            **_problems(400, 401, 403, 404, 415, 422),
        },
    },
}
PATHS["/staff/reports/saved/{report_id}"] = {
    "get": {
        "summary": "Run a saved report with the parameters it was saved with",
        "description": _READERS + " Read from the analytics warehouse; amounts are strings.",
        "parameters": [
            _REPORT_ID,
            _param(
                "format",
                "json (the default), or the report as a file",
                {
                    "type": "string",
                    "enum": formats(),
                },
            ),
        ],
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {"schema": _ref("SavedReportRun")},
                    **{f"{_MIME[f]}": {"schema": _STR} for f in formats()[1:]},
                },
            },
            **_problems(401, 403, 404, 422),
        },
    },
    "delete": {
        "summary": "Delete a saved report (its owner or an admin)",
        "description": _SAVERS,
        "parameters": [_REPORT_ID],
        "responses": {"204": {"description": "Deleted"}, **_problems(401, 403, 404)},
    },
}
