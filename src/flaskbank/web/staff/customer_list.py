"""The drill-down of a figure that counts customers: the customers behind it, as a staff page
(/staff/reports/customers) and in the staff API (/api/v1/staff/reports/customers), paged by
keyset marks (?older= / ?newer=), each linked to the staff customer page. A static path, as
the entries list's (entries.py): catalog.RESERVED keeps any report from taking the name."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request, url_for

from ...domain.errors import ValidationFailed
from ...domain.security import Permission
from ...services.analytics import customer_list
from ...services.analytics.customer_params import CustomerQuery, cursor, params, parse
from ...services.analytics.drilldown import CUSTOMERS
from ...services.analytics.entry_params import PAGE_SIZE
from ...warehouse.customers import CATEGORIES, CustomerKey
from . import bp
from .api import api_bp, api_requires
from .policy import requires, staff_user
from .reports import warehouse


def _page_link(
    endpoint: str, asked: CustomerQuery, side: str, key: CustomerKey | None
) -> str | None:
    if key is None:
        return None
    kept = params(asked.where)
    if asked.size != PAGE_SIZE:
        kept["size"] = str(asked.size)
    return f"{url_for(endpoint)}?{urlencode({**kept, side: cursor(key)})}"


def customers_json(found: customer_list.CustomerList, endpoint: str) -> dict[str, Any]:
    asked = found.query
    return {
        "params": {**params(asked.where), "size": str(asked.size)},
        "as_of": {
            "position": found.as_of.position,
            "at": found.as_of.last_event_at or None,
            "events": found.as_of.events,
        },
        "measure": CUSTOMERS,
        # One object, as the entry list has one per currency: a count has no currency.
        "totals": [{CUSTOMERS: str(found.count)}],
        "columns": [c.name for c in customer_list.COLUMNS],
        "customers": customer_list.rows(found),
        "newer": _page_link(endpoint, asked, "newer", found.newer),
        "older": _page_link(endpoint, asked, "older", found.older),
    }


@bp.get("/reports/customers")
@requires(Permission.VIEW_REPORTS)
def report_customers() -> Any:
    args = dict(request.args.items())
    try:
        found = customer_list.list_customers(warehouse(), staff_user(), parse(args))
    except ValidationFailed as error:
        return _page(None, args, error.errors), 422
    return _page(found, args, {})


def _page(
    found: customer_list.CustomerList | None, args: dict[str, str], errors: dict[str, str]
) -> str:
    return render_template(
        "staff/report_customers.html",
        found=found,
        asked=args,
        errors=errors,
        body=customers_json(found, "staff.report_customers") if found else None,
        columns=customer_list.COLUMNS,
        categories=CATEGORIES,
    )


@api_bp.get("/reports/customers")
@api_requires(Permission.VIEW_REPORTS)
def report_customers_api() -> Response:
    found = customer_list.list_customers(warehouse(), staff_user(), parse(request.args))
    return jsonify(customers_json(found, "staff_api.report_customers_api"))
