"""The reports staff ask of the warehouse. Each checks the role, reads the warehouse's
published state (never the operational store) and returns a `Report`: plain data whose
amounts are already text, ready for JSON, CSV or a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ...domain.accounts import User
from ...domain.errors import ValidationFailed
from ...domain.money import Money
from ...domain.security import Permission
from ...warehouse.base import AsOf, WarehousePort
from ..permissions import require
from .deposit_growth import COLUMNS, deposit_growth
from .periods import Period, spans

#: The most rows one report returns: a decade by day, with room to spare.
MAX_PERIODS = 5000
Cell = str | None


@dataclass(frozen=True)
class Report:
    name: str
    params: dict[str, str]
    as_of: AsOf
    columns: tuple[str, ...]
    rows: list[dict[str, Cell]]


@dataclass(frozen=True)
class Range:
    first: date
    last: date
    period: Period


def parse_range(first: object, last: object, period: object) -> Range:
    """from, to (YYYY-MM-DD, both included) and a period; ValidationFailed names each bad one."""
    errors: dict[str, str] = {}
    start, end = _date(first, "from", errors), _date(last, "to", errors)
    kind = None
    try:
        kind = Period(period if isinstance(period, str) and period else "month")
    except ValueError:
        errors["period"] = "must be one of " + ", ".join(p.value for p in Period)
    if start and end and end < start:
        errors["to"] = "must not be before from"
    if not errors and start and end and kind and len(spans(start, end, kind)) > MAX_PERIODS:
        errors["period"] = f"that range has more than {MAX_PERIODS} periods; pick a longer one"
    if errors or not (start and end and kind):
        raise ValidationFailed(errors)
    return Range(start, end, kind)


def _date(value: object, name: str, errors: dict[str, str]) -> date | None:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    errors[name] = "must be a date such as 2025-01-31"
    return None


def deposit_growth_report(warehouse: WarehousePort, user: User, asked: Range) -> Report:
    require(user, Permission.VIEW_REPORTS)
    covered = spans(asked.first, asked.last, asked.period)
    with warehouse.reading() as reader:
        flows = reader.day_flows(covered[-1][1])
        as_of = reader.as_of()
    rows = deposit_growth(flows, asked.first, asked.last, asked.period)
    return Report(
        "deposit_growth",
        {
            "from": asked.first.isoformat(),
            "to": asked.last.isoformat(),
            "period": asked.period.value,
        },
        as_of,
        COLUMNS,
        [
            {
                "period_start": r.period_start.isoformat(),
                "period_end": r.period_end.isoformat(),
                "currency": r.currency,
                "deposits": _money(r.deposits, r.currency),
                "withdrawals": _money(r.withdrawals, r.currency),
                "net_flow": _money(r.net_flow, r.currency),
                "closing_balance": _money(r.closing_balance, r.currency),
                "growth_vs_previous_pct": _pct(r.growth_vs_previous_pct),
                "growth_vs_year_before_pct": _pct(r.growth_vs_year_before_pct),
            }
            for r in rows
        ],
    )


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


def _pct(value: object) -> Cell:
    return None if value is None else str(value)
