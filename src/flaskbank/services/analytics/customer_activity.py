"""Customer activity at each period's end: how many customers had signed up by then, and of
them how many were active, dormant, churned or never active, each also as a share of the
customers. "An entry" is any posted movement on any of the customer's accounts. A pure
function of the warehouse's recency counts (warehouse/base.RecencyAt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from ...warehouse.base import RecencyAt, WarehouseReader
from ...warehouse.customers import CATEGORIES, CustomerFilter
from .catalog import Cell, Chart, Column, CustomerDrill, Kind, Query, Spec, Table, text
from .periods import spans

#: Active: an entry in the ACTIVE_DAYS days ending at the period's end (the end included).
ACTIVE_DAYS = 90
#: Churned: no entry in the CHURNED_DAYS days ending at the period's end (or every account
#: closed). Between the two, a customer who has had an entry is dormant.
CHURNED_DAYS = 365

#: The windows a category is judged with (warehouse/customers.CustomerFilter.windows).
WINDOWS = (ACTIVE_DAYS, CHURNED_DAYS)
COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("customers", "Customers", Kind.COUNT),
    *(
        column
        for name in CATEGORIES
        for column in (
            Column(name, name.replace("_", " ").capitalize(), Kind.COUNT),
            Column(f"{name}_pct", name.replace("_", " ").capitalize() + " %", Kind.PCT),
        )
    ),
)


@dataclass(frozen=True)
class ActivityRow:
    period_start: date
    period_end: date
    customers: int
    active: int
    dormant: int
    churned: int
    never_active: int


def classify(at: RecencyAt) -> tuple[int, int, int, int]:
    """(active, dormant, churned, never active) at the end of `at.day`; they add up to the
    customers. Closing every account churns a customer whatever their entries say: those
    customers leave the category their entries put them in."""
    every, gone = at.everyone, at.all_closed
    active = every.within_short - gone.within_short
    dormant = (every.within_long - every.within_short) - (gone.within_long - gone.within_short)
    lapsed = (every.ever - every.within_long) - (gone.ever - gone.within_long)
    never = (every.customers - every.ever) - (gone.customers - gone.ever)
    return active, dormant, lapsed + gone.customers, never


def share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    pct = Decimal(part) * 100 / Decimal(whole)
    return pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def customer_activity(
    recency: Sequence[RecencyAt], covered: Sequence[tuple[date, date]]
) -> list[ActivityRow]:
    """One row per period in `covered`, from the recency at each period's last day."""
    at = {r.day: r for r in recency}
    return [
        ActivityRow(start, end, at[end].everyone.customers, *classify(at[end]))
        for start, end in covered
    ]


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    covered = spans(asked.first, asked.last, asked.period)
    recency = reader.recency([end for _, end in covered], short=ACTIVE_DAYS, long=CHURNED_DAYS)
    rows = []
    for r in customer_activity(recency, covered):
        row: dict[str, Cell] = {
            "period_start": r.period_start.isoformat(),
            "period_end": r.period_end.isoformat(),
            "customers": str(r.customers),
        }
        for name in CATEGORIES:
            count: int = getattr(r, name)
            row[name] = str(count)
            row[f"{name}_pct"] = text(share(count, r.customers))
        rows.append(row)
    return [Table("customer_activity", f"Customer activity by {asked.period.value}", COLUMNS, rows)]


def drill(asked: Query, table: str, row: Mapping[str, Cell], column: str) -> CustomerDrill | None:
    """The customers signed up by the period's end (each with their category then), or those
    of one category: as many as the figure. Shares: none."""
    end = row.get("period_end")
    if table != "customer_activity" or not end or column not in ("customers", *CATEGORIES):
        return None
    category = None if column == "customers" else column
    at = date.fromisoformat(end)
    return CustomerDrill(CustomerFilter(at=at, category=category, windows=WINDOWS))


SPEC = Spec(
    "customer_activity",
    "Customer activity",
    f"Customers at each period's end: active (an entry in the last {ACTIVE_DAYS} days), "
    f"dormant, churned (no entry in the last {CHURNED_DAYS} days, or every account closed) "
    "and never active, each also as a share of the customers.",
    COLUMNS,
    build,
    Chart("line", "period_end", "active", None, "Active customers at each period's end"),
    drill=drill,
)
