"""Saved reports on the staff pages (/staff/reports/saved/...) and in the staff API
(/api/v1/staff/reports/saved): save the report on screen under a name, open one from its
shareable link with the parameters it was saved with, delete one (its owner or an admin)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ...domain.accounts import Role
from ...domain.errors import ValidationFailed
from ...domain.saved_reports import SavedReport
from ...domain.security import Permission
from ...services.analytics import reports as service
from ...services.analytics import saved
from ...services.analytics.catalog import Report
from ..api import parse as p
from ..context import bank
from . import bp
from .api import api_bp, api_requires
from .charts import chart_of
from .policy import actor, requires, staff_user
from .report_exports import FORMATS, export
from .reports import Links, _format, links, report_json, warehouse

#: The form's fields that carry the report's parameters: param_from, param_metric, ...
PARAM = "param_"


def saved_json(s: SavedReport) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "report": s.report,
        "params": s.params,
        "owner": s.owner_email,
        "created_at": s.created_at,
        "link": url_for("staff.saved_report", report_id=s.id),
    }


def _defaults() -> dict[str, str]:
    """What a report page asks when nothing is given: a year to today, by month."""
    today = date.fromisoformat(bank().now()[:10])
    return {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()}


def _drill(kept: SavedReport, found: Report, *, api: bool) -> Links:
    """The figures' drill-downs, as the report's own page links them."""
    spec = service.spec(kept.report)
    return links(spec, service.parse_query(spec, found.params), found, api=api)


def may_delete(s: SavedReport) -> bool:
    user = staff_user()
    return user.id == s.owner_id or user.role is Role.ADMIN


@bp.get("/reports/saved/<report_id>")
@requires(Permission.VIEW_REPORTS)
def saved_report(report_id: str) -> Any:
    kept, found = saved.run(bank(), warehouse(), staff_user(), report_id)
    wanted = _format()
    if wanted:
        return export(found, wanted)
    return render_template(
        "staff/report.html",
        spec=service.spec(kept.report),
        report=found,
        drill=_drill(kept, found, api=False),
        saved=kept,
        may_delete=may_delete(kept),
        errors={},
        asked=found.params,
        chart=chart_of(found),
        formats=FORMATS,
    )


@bp.post("/reports/saved")
@requires(Permission.BUILD_REPORTS)
def save_report() -> Any:
    form = request.form
    params = {k[len(PARAM) :]: v for k, v in form.items() if k.startswith(PARAM)}
    name = form.get("report", "")
    try:
        kept = saved.save(
            bank(), staff_user(), name=form.get("name"), report=name, params=params, actor=actor()
        )
    except ValidationFailed as error:
        spec = service.spec(name)
        return render_template(
            "staff/report.html",
            spec=spec,
            report=None,
            drill=[],
            errors=error.errors,
            asked=params,
            chart=None,
            formats=FORMATS,
        ), 422
    return redirect(url_for(".saved_report", report_id=kept.id))


@bp.post("/reports/saved/<report_id>/delete")
@requires(Permission.BUILD_REPORTS)
def delete_saved_report(report_id: str) -> BaseResponse:
    saved.delete(bank(), staff_user(), report_id, actor=actor())
    return redirect(url_for(".reports"))


@api_bp.get("/reports/saved")
@api_requires(Permission.VIEW_REPORTS)
def saved_reports_api() -> Response:
    return jsonify({"items": [saved_json(s) for s in saved.listing(bank(), staff_user())]})


@api_bp.post("/reports/saved")
@api_requires(Permission.BUILD_REPORTS)
def save_report_api() -> tuple[Response, int]:
    """{name, report, params?}: params as the report's query takes them (text values)."""
    body = p.json_object()
    params = body.get("params", {})
    if isinstance(params, dict):
        params = {**_defaults(), **params}
    kept = saved.save(
        bank(),
        staff_user(),
        name=body.get("name"),
        report=body.get("report"),
        params=params,
        actor=actor(),
    )
    return jsonify(saved_json(kept)), 201


@api_bp.get("/reports/saved/<report_id>")
@api_requires(Permission.VIEW_REPORTS)
def saved_report_api(report_id: str) -> Response:
    wanted = _format()
    kept, found = saved.run(bank(), warehouse(), staff_user(), report_id)
    if wanted and wanted != "json":
        return export(found, wanted)
    drill = _drill(kept, found, api=True)
    return jsonify({**report_json(found, drill), "saved": saved_json(kept)})


@api_bp.delete("/reports/saved/<report_id>")
@api_requires(Permission.BUILD_REPORTS)
def delete_saved_report_api(report_id: str) -> tuple[str, int]:
    saved.delete(bank(), staff_user(), report_id, actor=actor())
    return "", 204
