"""Reports from the analytics warehouse: the staff pages (/staff/reports/...) and the staff
API (/api/v1/staff/reports/...), with `?format=csv` for a CSV file. Views parse the query,
call one report service and render; the figures come from the warehouse, never the store."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, jsonify, render_template, request

from ...domain.errors import ValidationFailed
from ...domain.security import Permission
from ...services.analytics.reports import Report, deposit_growth_report, parse_range
from ...warehouse.base import WarehousePort
from ..context import bank
from . import bp
from .api import api_bp, api_requires
from .charts import line_chart
from .policy import requires, staff_user

#: The reports there are, for the index page and the API's list.
REPORTS = {"deposit_growth": "Deposit growth"}


def warehouse() -> WarehousePort:
    return current_app.extensions["warehouse"]  # type: ignore[no-any-return]


def _format() -> str:
    """json (the default; a page for the pages) or csv."""
    asked = request.args.get("format", "")
    if asked not in ("", "json", "csv"):
        raise ValidationFailed({"format": "must be json or csv"})
    return asked


def _asked() -> tuple[str, str, str]:
    """from, to and period from the query; a year to today by month unless given."""
    today = date.fromisoformat(bank().now()[:10])
    args = request.args
    return (
        args.get("from") or (today - timedelta(days=365)).isoformat(),
        args.get("to") or today.isoformat(),
        args.get("period") or "month",
    )


def report_json(report: Report) -> dict[str, Any]:
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
    }


def report_csv(report: Report) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow(["" if row[c] is None else row[c] for c in report.columns])
    p = report.params
    name = f"{report.name}_{p['from']}_{p['to']}_{p['period']}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports")
@requires(Permission.VIEW_REPORTS)
def reports() -> str:
    return render_template("staff/reports.html", reports=REPORTS)


@bp.get("/reports/deposit_growth")
@requires(Permission.VIEW_REPORTS)
def deposit_growth() -> Any:
    first, last, period = _asked()
    try:
        wanted = _format()
        report = deposit_growth_report(warehouse(), staff_user(), parse_range(first, last, period))
    except ValidationFailed as error:
        return render_template(
            "staff/deposit_growth.html",
            report=None,
            errors=error.errors,
            asked={"from": first, "to": last, "period": period},
            chart=None,
        ), 422
    if wanted == "csv":
        return report_csv(report)
    return render_template(
        "staff/deposit_growth.html",
        report=report,
        errors={},
        asked=report.params,
        chart=line_chart(report.rows, x="period_end", y="closing_balance", series="currency"),
    )


@api_bp.get("/reports/deposit_growth")
@api_requires(Permission.VIEW_REPORTS)
def deposit_growth_api() -> Response:
    wanted = _format()
    report = deposit_growth_report(warehouse(), staff_user(), parse_range(*_asked()))
    if wanted == "csv":
        return report_csv(report)
    return jsonify(report_json(report))
