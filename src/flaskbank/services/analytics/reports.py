"""The reports staff ask of the warehouse. `run` checks the role, reads the warehouse's
published state (never the operational store) and returns a `Report`: plain data whose
amounts are already text, ready for JSON, CSV, XLSX, PDF or a page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from ...domain.accounts import User
from ...domain.errors import ReportNotFound, ValidationFailed
from ...domain.security import Permission
from ...warehouse.base import WarehousePort
from ..permissions import require
from . import (
    balances,
    builder,
    customer_acquisition,
    customer_activity,
    deposit_growth,
    top_customers,
    transaction_volume,
)
from .catalog import Query, Report, Spec
from .periods import Period, spans

#: The built-in reports, in the order the reports page lists them.
SPECS: dict[str, Spec] = {
    s.name: s
    for s in (
        deposit_growth.SPEC,
        customer_acquisition.SPEC,
        transaction_volume.SPEC,
        customer_activity.SPEC,
        balances.SPEC,
        top_customers.SPEC,
        builder.SPEC,
    )
}
#: The most rows one report returns: a decade by day, with room to spare.
MAX_PERIODS = 5000
_WORD = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def spec(name: str) -> Spec:
    found = SPECS.get(name)
    if found is None:
        raise ReportNotFound("no such report")
    return found


def parse_query(report: Spec, args: Mapping[str, str]) -> Query:
    """from, to (YYYY-MM-DD, both included), a period (month unless given) and the report's
    own filters; ValidationFailed names each bad one. Unknown parameters are ignored."""
    errors: dict[str, str] = {}
    start, end = _date(args.get("from"), "from", errors), _date(args.get("to"), "to", errors)
    kind = None
    try:
        kind = Period(args.get("period") or "month")
    except ValueError:
        errors["period"] = "must be one of " + ", ".join(p.value for p in Period)
    if start and end and end < start:
        errors["to"] = "must not be before from"
    if not errors and start and end and kind and len(spans(start, end, kind)) > MAX_PERIODS:
        errors["period"] = f"that range has more than {MAX_PERIODS} periods; pick a longer one"
    filters = {}
    for f in report.filters:
        value = args.get(f.name) or ""
        if not value:
            continue
        if (f.choices and value not in f.choices) or not _WORD.match(value):
            allowed = ", ".join(f.choices) if f.choices else "letters, digits, _ and -"
            errors[f.name] = f"must be one of {allowed}" if f.choices else f"must be {allowed}"
        filters[f.name] = value
    if not errors and report.check is not None:
        errors.update(report.check(filters))
    if errors or not (start and end and kind):
        raise ValidationFailed(errors)
    return Query(start, end, kind, filters)


def _date(value: object, name: str, errors: dict[str, str]) -> date | None:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    errors[name] = "must be a date such as 2025-01-31"
    return None


def run(warehouse: WarehousePort, user: User, report: Spec, asked: Query) -> Report:
    require(user, Permission.VIEW_REPORTS)
    with warehouse.reading() as reader:
        tables = report.build(reader, asked)
        as_of = reader.as_of()
    return Report(report.name, report.title, asked.params(), as_of, tuple(tables), report.chart)
