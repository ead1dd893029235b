"""The drill-down: the entries behind a report's figure, as a staff page
(/staff/reports/entries) and in the staff API (/api/v1/staff/reports/entries), filterable and
paged newest first by keyset marks (?older= / ?newer=). A static path: Werkzeug matches it
before /reports/<name>, and catalog.RESERVED keeps any report from taking the name. The
links to it from each report's figures are made in reports.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request, url_for

from ...domain.accounts import AccountType
from ...domain.errors import ValidationFailed
from ...domain.ledger import TransactionType
from ...domain.money import MINOR_UNITS
from ...domain.security import Permission
from ...services.analytics import drilldown
from ...services.analytics.entry_params import PAGE_SIZE, EntryQuery, cursor, params, parse
from ...warehouse.entries import EntryKey
from . import bp
from .api import api_bp, api_requires
from .policy import requires, staff_user
from .reports import warehouse


def _args() -> dict[str, str]:
    """The query string; `type` may come once with commas or repeated (the form's boxes)."""
    args = dict(request.args.items())
    types = [t for t in request.args.getlist("type") if t]
    if types:
        args["type"] = ",".join(types)
    return args


def _page_link(endpoint: str, asked: EntryQuery, side: str, key: EntryKey | None) -> str | None:
    if key is None:
        return None
    kept = params(asked.where)
    if asked.size != PAGE_SIZE:
        kept["size"] = str(asked.size)
    if asked.measure is not None:
        kept["measure"] = asked.measure.value
    return f"{url_for(endpoint)}?{urlencode({**kept, side: cursor(key)})}"


def entries_json(found: drilldown.EntryList, endpoint: str) -> dict[str, Any]:
    asked = found.query
    shown = {**params(asked.where), "size": str(asked.size)}
    if asked.measure is not None:
        shown["measure"] = asked.measure.value
    return {
        "params": shown,
        "as_of": {
            "position": found.as_of.position,
            "at": found.as_of.last_event_at or None,
            "events": found.as_of.events,
        },
        "measure": asked.measure.value if asked.measure else None,
        "totals": drilldown.total_rows(found),
        "columns": [c.name for c in drilldown.COLUMNS],
        "entries": drilldown.rows(found),
        "newer": _page_link(endpoint, asked, "newer", found.newer),
        "older": _page_link(endpoint, asked, "older", found.older),
    }


@bp.get("/reports/entries")
@requires(Permission.VIEW_REPORTS)
def entries() -> Any:
    args = _args()
    try:
        found = drilldown.list_entries(warehouse(), staff_user(), parse(args))
    except ValidationFailed as error:
        return _page(None, args, error.errors), 422
    return _page(found, args, {})


def _page(found: drilldown.EntryList | None, args: dict[str, str], errors: dict[str, str]) -> str:
    measure = found.query.measure if found else None
    figure = None
    if found and measure and (found.query.where.currency or not measure.is_money):
        figure = drilldown.figure(found.totals, measure, found.query.where.currency)
    return render_template(
        "staff/entries.html",
        found=found,
        figure=figure,
        asked=args,
        errors=errors,
        body=entries_json(found, "staff.entries") if found else None,
        columns=drilldown.COLUMNS,
        total_columns=drilldown.TOTALS,
        types=[t.value for t in TransactionType],
        currencies=list(MINOR_UNITS),
        account_types=[a.value for a in AccountType],
    )


@api_bp.get("/reports/entries")
@api_requires(Permission.VIEW_REPORTS)
def entries_api() -> Response:
    found = drilldown.list_entries(warehouse(), staff_user(), parse(_args()))
    return jsonify(entries_json(found, "staff_api.entries_api"))
