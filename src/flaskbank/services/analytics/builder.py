"""The report builder: one metric per period (and per account type or segment when asked),
per currency, over a date range, narrowed by filters. The warehouse aggregates
(WarehouseReader.measure); `tabulate` is a pure function that lays the figures out on
every whole period of the range and turns net flows into closing balances. Amounts are
integer minor units until they leave as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ...domain.accounts import AccountType
from ...domain.ledger import TransactionType
from ...domain.money import MINOR_UNITS
from ...warehouse.base import Measure, Measured, WarehouseReader
from ...warehouse.customers import CustomerFilter
from ...warehouse.entries import EntryFilter, Side
from ...warehouse.entries import Measure as EntryMeasure
from .catalog import (
    Cell,
    Chart,
    Column,
    CustomerDrill,
    Drill,
    Filter,
    Kind,
    Query,
    Spec,
    Table,
    money,
)
from .periods import spans

#: metric -> its title; docs/analytics.md defines each exactly.
METRICS = {
    "deposits": "Deposits",
    "withdrawals": "Withdrawals",
    "net_flow": "Net flow",
    "transactions": "Transactions",
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "closing_balance": "Balances at period end",
}
MONEY_METRICS = frozenset({"deposits", "withdrawals", "net_flow", "closing_balance"})
#: Metrics that are one transaction type already, or of no type at all.
UNTYPED = frozenset({"deposits", "withdrawals", "closing_balance", "new_customers"})
#: The synthetic bank's segments (synthetic/people.Segment, which imports Faker: a test
#: checks they agree), and "unknown" for customers the feed gave no segment.
SEGMENTS = ("salaried", "student", "business", "retiree", "high_net_worth", "unknown")
#: What "not grouped" shows in the group column and the chart's legend.
ALL = "all"

FILTERS = (
    Filter("metric", "Metric", tuple(METRICS), blank="deposits"),
    Filter("group_by", "Group by", ("account_type", "segment"), blank="period only"),
    Filter("currency", "Currency", tuple(MINOR_UNITS)),
    Filter("account_type", "Account type", tuple(t.value for t in AccountType)),
    Filter("segment", "Segment", SEGMENTS),
    Filter("type", "Transaction type", tuple(t.value for t in TransactionType)),
)
COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("group", "Group"),
    Column("currency", "Currency"),
    # Money for the money metrics, a whole number for the counts (the pattern fits both).
    Column("value", "Value", Kind.MONEY),
)


@dataclass(frozen=True)
class BuilderRow:
    period_start: date
    period_end: date
    group: str | None  # None: not grouped
    currency: str | None  # None: a count of sign-ups, which have no currency
    value: int  # minor units for money, else a count


def check(filters: dict[str, str]) -> dict[str, str]:
    """The combinations the builder cannot answer, by the field to change."""
    metric = filters.get("metric", "deposits")
    errors = {}
    if "type" in filters and metric in UNTYPED:
        errors["type"] = f"{metric} cannot be narrowed by transaction type; leave it empty"
    if metric == "new_customers":
        for name in ("currency", "account_type"):
            if name in filters:
                errors[name] = "new customers have no currency or account type; leave it empty"
        if filters.get("group_by") == "account_type":
            errors["group_by"] = "new customers group by segment only (one may hold both types)"
    return errors


def tabulate(
    measured: Sequence[Measured], covered: Sequence[tuple[date, date]], *, running: bool
) -> list[BuilderRow]:
    """One row per period of `covered` and per (group, currency) that `measured` holds;
    periods with nothing measured count 0. `running`: each period's value is the sum of
    every measured period that starts on or before it (net flows from the first day become
    closing balances); else `measured` must lie within `covered`."""
    keys = sorted({(m.group, m.currency) for m in measured}, key=lambda k: (k[0] or "", k[1] or ""))
    found: dict[tuple[date, str | None, str | None], int] = {}
    for m in measured:
        found[m.start, m.group, m.currency] = m.value
    totals = dict.fromkeys(keys, 0)
    ordered = sorted(measured, key=lambda m: m.start)
    taken = 0
    rows = []
    for start, end in covered:
        if running:
            while taken < len(ordered) and ordered[taken].start <= start:
                m = ordered[taken]
                totals[m.group, m.currency] += m.value
                taken += 1
        for group, currency in keys:
            value = totals[group, currency] if running else found.get((start, group, currency), 0)
            rows.append(BuilderRow(start, end, group, currency, value))
    return rows


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    metric = asked.filters.get("metric", "deposits")
    group_by = asked.filters.get("group_by")
    covered = spans(asked.first, asked.last, asked.period)
    closing = metric == "closing_balance"
    measured = reader.measure(
        Measure(
            "net_flow" if closing else metric,
            asked.period.value,
            None if closing else covered[0][0],
            covered[-1][1],
            group_by,
            asked.filters.get("currency"),
            asked.filters.get("account_type"),
            asked.filters.get("segment"),
            asked.filters.get("type"),
        )
    )
    kind = Kind.MONEY if metric in MONEY_METRICS else Kind.COUNT
    columns = (*COLUMNS[:-1], Column("value", METRICS[metric], kind))
    by = f", by {group_by.replace('_', ' ')}" if group_by else ""
    return [
        Table(
            "builder",
            f"{METRICS[metric]} by {asked.period.value}{by}",
            columns,
            [
                {
                    "period_start": r.period_start.isoformat(),
                    "period_end": r.period_end.isoformat(),
                    "group": r.group if group_by else ALL,
                    "currency": r.currency,
                    "value": (
                        money(r.value, r.currency)
                        if kind is Kind.MONEY and r.currency
                        else str(r.value)
                    ),
                }
                for r in tabulate(measured, covered, running=closing)
            ],
        )
    ]


#: metric -> the transaction types, side and total its entries sum to.
_DRILLED = {
    "deposits": (("deposit",), Side.CREDITS, EntryMeasure.CREDITS),
    "withdrawals": (("withdrawal",), Side.DEBITS, EntryMeasure.DEBITS),
    "net_flow": ((), Side.ALL, EntryMeasure.AMOUNT),
    "transactions": ((), Side.ALL, EntryMeasure.TRANSACTIONS),
    "closing_balance": ((), Side.ALL, EntryMeasure.AMOUNT),
}


def drill(
    asked: Query, table: str, row: Mapping[str, Cell], column: str
) -> Drill | CustomerDrill | None:
    """The counted entries: the row's days (closing balances: every day up to the period's
    end), currency, and group, with the report's filters. New customers: those who signed
    up in the row's days, of the row's (or the filter's) segment. Active customers: those
    with an entry that counts. None for a group of accounts the load did not know."""
    metric = asked.filters.get("metric", "deposits")
    start, end, currency = row.get("period_start"), row.get("period_end"), row.get("currency")
    if metric == "new_customers" and column == "value" and start and end:
        segment = row.get("group") if asked.filters.get("group_by") == "segment" else None
        signed_up = CustomerFilter(
            date.fromisoformat(start),
            date.fromisoformat(end),
            segment or asked.filters.get("segment"),
        )
        return CustomerDrill(signed_up)
    if metric == "active_customers" and column == "value" and start and end and currency:
        return _active_customers(asked, row, date.fromisoformat(start), date.fromisoformat(end))
    if column != "value" or metric not in _DRILLED or not start or not end or not currency:
        return None
    types, side, measure = _DRILLED[metric]
    narrowed = {
        "account_type": asked.filters.get("account_type"),
        "segment": asked.filters.get("segment"),
    }
    group_by = asked.filters.get("group_by")
    if group_by in narrowed:
        narrowed[group_by] = row.get("group")
    if narrowed["account_type"] not in (None, *(t.value for t in AccountType)):
        return None  # "unknown": an account the warehouse has no type for
    chosen = asked.filters.get("type")
    where = EntryFilter(
        None if metric == "closing_balance" else date.fromisoformat(start),
        date.fromisoformat(end),
        currency,
        (chosen,) if chosen else types,
        narrowed["account_type"],
        narrowed["segment"],
        side=side,
    )
    return Drill(where, measure)


def _active_customers(
    asked: Query, row: Mapping[str, Cell], first: date, last: date
) -> CustomerDrill | None:
    """The customers (of the row's or the filter's segment) with an entry of the row's days
    and currency, of the filter's type, on an account of the row's or the filter's type."""
    group_by, group = asked.filters.get("group_by"), row.get("group")
    account_type = group if group_by == "account_type" else asked.filters.get("account_type")
    if account_type not in (None, *(t.value for t in AccountType)):
        return None  # "unknown": an account the warehouse has no type for
    chosen = asked.filters.get("type")
    entries = EntryFilter(
        first, last, row.get("currency"), (chosen,) if chosen else (), account_type
    )
    segment = group if group_by == "segment" else asked.filters.get("segment")
    return CustomerDrill(CustomerFilter(segment=segment, entries=entries))


SPEC = Spec(
    "builder",
    "Report builder",
    "Pick a metric (deposits, withdrawals, net flow, transactions, active customers, new "
    "customers, balances at period end), group it by account type or segment, and narrow "
    "it by currency, account type, segment or transaction type. One row per period, group "
    'and currency; "all" when not grouped.',
    COLUMNS,
    build,
    Chart("line", "period_start", "value", "group", "The metric per period, a line per group"),
    FILTERS,
    check,
    drill,
)
