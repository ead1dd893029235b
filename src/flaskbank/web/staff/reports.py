"""Reports from the analytics warehouse: the staff pages (/staff/reports/<name>) and the
staff API (/api/v1/staff/reports/<name>), with `?format=csv|xlsx|pdf` for a file
(report_exports.py). One view serves
every report: it parses the query, calls the report service and renders what the report's
description (services/analytics/catalog.py) says; the figures come from the warehouse."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, render_template, request, url_for

from ...domain.errors import ValidationFailed
from ...domain.security import Permission
from ...services.analytics import drilldown
from ...services.analytics import reports as service
from ...services.analytics.catalog import CustomerDrill, Query, Report, Spec, Table
from ...warehouse.base import WarehousePort
from ..context import bank
from . import bp
from .api import api_bp, api_requires
from .charts import chart_of
from .policy import requires, staff_user
from .report_exports import FORMATS, export


def warehouse() -> WarehousePort:
    return current_app.extensions["warehouse"]  # type: ignore[no-any-return]


def _format() -> str:
    """json (the default; a page for the pages) or one of FORMATS."""
    asked = request.args.get("format", "")
    if asked not in ("", "json", *FORMATS):
        raise ValidationFailed({"format": "must be one of json, " + ", ".join(FORMATS)})
    return asked


def _asked() -> dict[str, str]:
    """The query, with from, to and period defaulting to a year to today by month."""
    today = date.fromisoformat(bank().now()[:10])
    args = dict(request.args.items())
    args.setdefault("from", (today - timedelta(days=365)).isoformat())
    args.setdefault("to", today.isoformat())
    args.setdefault("period", "month")
    return args


#: Per table, per row: the drill-down link of each cell that has one (by column).
Links = list[list[dict[str, dict[str, str]]]]


def links(spec: Spec, asked: Query, found: Report, *, api: bool) -> Links:
    """Each figure's drill-down: the address of the entries list (or, for a figure that
    counts customers, the customer list), the page's or the API's, with the figure's
    filter, and which of its totals equals the figure."""
    entries = url_for("staff_api.entries_api" if api else "staff.entries")
    customers = url_for("staff_api.report_customers_api" if api else "staff.report_customers")
    return [
        [
            {
                column: {
                    "href": f"{customers if isinstance(d, CustomerDrill) else entries}?"
                    + urlencode(drilldown.link_params(d)),
                    "measure": drilldown.measure_of(d),
                }
                for column, d in cells.items()
            }
            for cells in table
        ]
        for table in drilldown.drills(spec, asked, found.tables)
    ]


def table_json(table: Table, drill: list[dict[str, dict[str, str]]]) -> dict[str, Any]:
    return {"title": table.title, "columns": list(table.names), "rows": table.rows, "drill": drill}


def report_json(report: Report, drill: Links) -> dict[str, Any]:
    """`drill` runs beside `rows`, one object per row: for each figure that has a
    drill-down, its link and the measure it equals ({} for a row with none)."""
    return {
        "report": report.name,
        "params": report.params,
        "as_of": {
            "position": report.as_of.position,
            "at": report.as_of.last_event_at or None,
            "events": report.as_of.events,
        },
        "columns": list(report.columns),
        "rows": report.rows,
        "drill": drill[0],
        # The report's further tables (a cohort table, a breakdown), each like the main one.
        "tables": {
            t.name: table_json(t, d) for t, d in zip(report.tables[1:], drill[1:], strict=True)
        },
    }


@bp.get("/reports")
@requires(Permission.VIEW_REPORTS)
def reports() -> str:
    from ...services.analytics import saved

    return render_template(
        "staff/reports.html",
        reports=service.SPECS.values(),
        saved=saved.listing(bank(), staff_user()),
    )


@bp.get("/reports/<name>")
@requires(Permission.VIEW_REPORTS)
def report(name: str) -> Any:
    spec = service.spec(name)
    asked = _asked()
    try:
        wanted = _format()
        query = service.parse_query(spec, asked)
        found = service.run(warehouse(), staff_user(), spec, query)
    except ValidationFailed as error:
        return _page(spec, None, asked, error.errors, []), 422
    if wanted:
        return export(found, wanted)
    return _page(spec, found, found.params, {}, links(spec, query, found, api=False))


def _page(
    spec: Spec,
    found: Report | None,
    asked: dict[str, str],
    errors: dict[str, str],
    drill: Links,
) -> str:
    return render_template(
        "staff/report.html",
        spec=spec,
        report=found,
        drill=drill,
        errors=errors,
        asked=asked,
        chart=chart_of(found) if found else None,
        formats=FORMATS,
    )


@api_bp.get("/reports/<name>")
@api_requires(Permission.VIEW_REPORTS)
def report_api(name: str) -> Response:
    spec = service.spec(name)
    wanted = _format()
    query = service.parse_query(spec, _asked())
    found = service.run(warehouse(), staff_user(), spec, query)
    if wanted and wanted != "json":
        return export(found, wanted)
    return jsonify(report_json(found, links(spec, query, found, api=True)))
