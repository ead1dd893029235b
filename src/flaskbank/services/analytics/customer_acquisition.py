"""Customer acquisition, per period: new customers, the cumulative count, how many made a
first deposit within 30 days; and per signup cohort, how many were active and what they held
1, 3, 6 and 12 months after signing up. Pure functions of the signup days
(warehouse/base.SignupDay, CohortDay); docs/analytics.md defines every column."""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import accumulate

from ...warehouse.base import CohortDay, SignupDay, WarehouseReader
from ...warehouse.customers import CustomerFilter
from ...warehouse.entries import EntryFilter, Measure
from .catalog import (
    Cell,
    Chart,
    Column,
    CustomerDrill,
    Drill,
    Kind,
    Query,
    Spec,
    Table,
    money,
    text,
)
from .periods import Period, spans

#: The anniversaries the cohorts are followed to, in months after signing up.
MONTHS = (1, 3, 6, 12)

COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("new_customers", "New customers", Kind.COUNT),
    Column("cumulative_customers", "Customers by the end", Kind.COUNT),
    Column("activated", "Deposited within 30 days", Kind.COUNT),
    Column("activation_rate_pct", "Activation %", Kind.PCT),
)
COHORT_COLUMNS = (
    Column("cohort_start", "Signed up from", Kind.DATE),
    Column("cohort_end", "Signed up to", Kind.DATE),
    Column("currency", "Currency"),
    Column("customers", "Customers", Kind.COUNT),
    *(
        column
        for k in MONTHS
        for column in (
            Column(f"active_{k}m", f"Active in month {k}", Kind.COUNT),
            Column(f"balance_{k}m", f"Balances after {k} months", Kind.MONEY),
        )
    ),
)


@dataclass(frozen=True)
class AcquisitionRow:
    period_start: date
    period_end: date
    new_customers: int
    cumulative_customers: int
    activated: int
    activation_rate_pct: Decimal | None  # None when nobody signed up


@dataclass(frozen=True)
class CohortRow:
    cohort_start: date
    cohort_end: date
    currency: str | None  # None only when the bank has no accounts at all
    customers: int
    active: tuple[int | None, ...]  # per MONTHS; None: not yet known
    balances: tuple[int | None, ...]  # minor units per MONTHS; None: not yet known


def add_months(day: date, months: int) -> date:
    """The same day `months` months later; a day the month lacks is its last (31 January and
    one month: 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def acquisition(
    days: Sequence[SignupDay], first: date, last: date, period: Period
) -> list[AcquisitionRow]:
    """One row per whole period covering first..last; `days` are every signup day up to the
    last period's end (earlier days make the cumulative count)."""
    when = [d.day for d in days]
    joined = [0, *accumulate(d.customers for d in days)]
    activated = [0, *accumulate(d.activated for d in days)]

    def upto(totals: list[int], day: date) -> int:
        return totals[bisect_right(when, day)]

    rows = []
    for start, end in spans(first, last, period):
        before = start - timedelta(days=1)
        new = upto(joined, end) - upto(joined, before)
        active = upto(activated, end) - upto(activated, before)
        rows.append(AcquisitionRow(start, end, new, upto(joined, end), active, rate(active, new)))
    return rows


def cohorts(
    days: Sequence[CohortDay],
    first: date,
    last: date,
    period: Period,
    *,
    known_until: date | None,
    currencies: Sequence[str],
) -> list[CohortRow]:
    """One row per whole period covering first..last (a cohort: who signed up in it) and per
    currency. A cohort's k-month figures are None until the k-month anniversary of the
    period's last day is no later than `known_until` (the last day the warehouse counted)."""
    held: list[str | None] = [*sorted({*currencies, *(c for d in days for c in d.balances)})]
    none = (0,) * len(MONTHS)
    ordered = sorted(days, key=lambda d: d.day)
    when = [d.day for d in ordered]
    rows = []
    for start, end in spans(first, last, period):
        members = ordered[bisect_left(when, start) : bisect_right(when, end)]
        known = [known_until is not None and add_months(end, k) <= known_until for k in MONTHS]
        active = tuple(
            sum(d.active[i] for d in members) if known[i] else None for i in range(len(MONTHS))
        )
        customers = sum(d.customers for d in members)
        for currency in held or [None]:
            balances = tuple(
                sum(d.balances.get(currency, none)[i] for d in members)
                if known[i] and currency
                else None
                for i in range(len(MONTHS))
            )
            rows.append(CohortRow(start, end, currency, customers, active, balances))
    return rows


def _cohort_cells(r: CohortRow) -> dict[str, Cell]:
    cells: dict[str, Cell] = {
        "cohort_start": r.cohort_start.isoformat(),
        "cohort_end": r.cohort_end.isoformat(),
        "currency": r.currency,
        "customers": str(r.customers),
    }
    for k, active, balance in zip(MONTHS, r.active, r.balances, strict=True):
        cells[f"active_{k}m"] = text(active)
        cells[f"balance_{k}m"] = (
            None if balance is None or r.currency is None else money(balance, r.currency)
        )
    return cells


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    covered = spans(asked.first, asked.last, asked.period)
    start, end = covered[0][0], covered[-1][1]
    rows = acquisition(reader.signup_days(end), asked.first, asked.last, asked.period)
    followed = cohorts(
        reader.cohort_days(start, end, MONTHS),
        asked.first,
        asked.last,
        asked.period,
        known_until=reader.last_day(),
        currencies=reader.currencies(),
    )
    return [
        Table(
            "customer_acquisition",
            f"New customers by {asked.period.value}",
            COLUMNS,
            [
                {
                    "period_start": r.period_start.isoformat(),
                    "period_end": r.period_end.isoformat(),
                    "new_customers": str(r.new_customers),
                    "cumulative_customers": str(r.cumulative_customers),
                    "activated": str(r.activated),
                    "activation_rate_pct": text(r.activation_rate_pct),
                }
                for r in rows
            ],
        ),
        Table(
            "cohorts",
            f"Cohorts by {asked.period.value} of signing up: active customers and their "
            "balances after 1, 3, 6 and 12 months",
            COHORT_COLUMNS,
            [_cohort_cells(r) for r in followed],
        ),
    ]


def drill(
    asked: Query, table: str, row: Mapping[str, Cell], column: str
) -> Drill | CustomerDrill | None:
    """The counts: the customers who signed up in the row's days (cumulative: up to its
    end), those of them activated, or those active in month k of their life. A cohort's
    k-month balance: the entries in the row's currency of the customers who signed up in
    the cohort's days, each up to their own k-month anniversary. Rates: none."""
    if table == "customer_acquisition":
        first, last = _days(row, "period_start", "period_end")
        return {
            "new_customers": CustomerDrill(CustomerFilter(first, last)),
            "cumulative_customers": CustomerDrill(CustomerFilter(None, last)),
            "activated": CustomerDrill(CustomerFilter(first, last, activated=True)),
        }.get(column)
    if table != "cohorts" or row.get(column) is None:
        return None
    first, last = _days(row, "cohort_start", "cohort_end")
    if column == "customers":
        return CustomerDrill(CustomerFilter(first, last))
    if column.startswith("active_"):
        months = int(column.removeprefix("active_").removesuffix("m"))
        return CustomerDrill(CustomerFilter(first, last, active_in_month=months))
    currency = row.get("currency")
    if not column.startswith("balance_") or not currency:
        return None
    where = EntryFilter(
        currency=currency,
        signed_up_from=first,
        signed_up_to=last,
        life_months=int(column.removeprefix("balance_").removesuffix("m")),
    )
    return Drill(where, Measure.AMOUNT)


def _days(row: Mapping[str, Cell], first: str, last: str) -> tuple[date, date]:
    return date.fromisoformat(row[first] or ""), date.fromisoformat(row[last] or "")


SPEC = Spec(
    "customer_acquisition",
    "Customer acquisition",
    "New customers per period, the cumulative count and how many made a first deposit within "
    "30 days; per signup cohort, how many were active and what they held 1, 3, 6 and 12 months "
    "after signing up.",
    COLUMNS,
    build,
    Chart("bar", "period_start", "new_customers", None, "New customers per period"),
    drill=drill,
)
