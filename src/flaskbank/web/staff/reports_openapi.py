"""The reports' part of the staff OpenAPI fragment (paths relative to /api/v1), written
from the reports' own descriptions (services/analytics/catalog.py): one path per report,
its filters as parameters and its columns with their types."""

from __future__ import annotations

from typing import Any

from ...services.analytics.catalog import Column, Kind, Spec
from ...services.analytics.periods import Period
from ...services.analytics.reports import SPECS
from . import entries_openapi
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
    "(by column), the entries behind it; {} for a row with none",
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
}

PATHS: dict[str, Any] = {
    **{f"/staff/reports/{s.name}": _path(s) for s in SPECS.values()},
    **entries_openapi.PATHS,
}
