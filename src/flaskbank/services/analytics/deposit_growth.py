"""Deposit growth, per period and currency: deposits, withdrawals, net flow, the customers'
total balance at the period's end, and its growth against the previous period and the same
period a year earlier. A pure function of the days' flows (warehouse/base.DayFlow); the
figures are integer minor units until they leave as text."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import accumulate

from ...warehouse.base import DayFlow, WarehouseReader
from ...warehouse.entries import EntryFilter, Measure, Side
from .catalog import Cell, Chart, Column, Drill, Kind, Query, Spec, Table, money, text
from .periods import Period, spans, year_before

COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("currency", "Currency"),
    Column("deposits", "Deposits", Kind.MONEY),
    Column("withdrawals", "Withdrawals", Kind.MONEY),
    Column("net_flow", "Net flow", Kind.MONEY),
    Column("closing_balance", "Balances at end", Kind.MONEY),
    Column("growth_vs_previous_pct", "Growth vs previous %", Kind.PCT),
    Column("growth_vs_year_before_pct", "Growth vs a year before %", Kind.PCT),
)


@dataclass(frozen=True)
class GrowthRow:
    period_start: date
    period_end: date
    currency: str
    deposits: int
    withdrawals: int
    net_flow: int
    closing_balance: int
    growth_vs_previous_pct: Decimal | None  # None when the earlier balance was zero
    growth_vs_year_before_pct: Decimal | None


class _Running:
    """Running totals of one currency's days, to sum any range of days by two look-ups."""

    def __init__(self, flows: Sequence[DayFlow]) -> None:
        self.days = [f.day for f in flows]
        self.deposits = [0, *accumulate(f.deposits for f in flows)]
        self.withdrawals = [0, *accumulate(f.withdrawals for f in flows)]
        self.net = [0, *accumulate(f.net for f in flows)]

    def upto(self, totals: list[int], day: date) -> int:
        return totals[bisect_right(self.days, day)]

    def between(self, totals: list[int], first: date, last: date) -> int:
        return self.upto(totals, last) - self.upto(totals, first - timedelta(days=1))


def growth(now: int, before: int) -> Decimal | None:
    if before == 0:
        return None
    pct = Decimal(now - before) * 100 / Decimal(before)
    return pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def deposit_growth(
    flows: Sequence[DayFlow], first: date, last: date, period: Period
) -> list[GrowthRow]:
    """One row per whole period covering first..last and per currency that has moved by
    `last`; `flows` are every day's flows up to `last` (earlier days make the balances)."""
    rows = []
    currencies = sorted({f.currency for f in flows if f.day <= last})
    running = {c: _Running([f for f in flows if f.currency == c]) for c in currencies}
    for start, end in spans(first, last, period):
        for currency in currencies:
            r = running[currency]
            closing = r.upto(r.net, end)
            previous = r.upto(r.net, start - timedelta(days=1))
            year_ago = r.upto(r.net, year_before(start, period)[1])
            rows.append(
                GrowthRow(
                    start,
                    end,
                    currency,
                    r.between(r.deposits, start, end),
                    r.between(r.withdrawals, start, end),
                    r.between(r.deposits, start, end) - r.between(r.withdrawals, start, end),
                    closing,
                    growth(closing, previous),
                    growth(closing, year_ago),
                )
            )
    return rows


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    covered = spans(asked.first, asked.last, asked.period)
    rows = deposit_growth(reader.day_flows(covered[-1][1]), asked.first, asked.last, asked.period)
    return [
        Table(
            "deposit_growth",
            f"Deposit growth by {asked.period.value}",
            COLUMNS,
            [
                {
                    "period_start": r.period_start.isoformat(),
                    "period_end": r.period_end.isoformat(),
                    "currency": r.currency,
                    "deposits": money(r.deposits, r.currency),
                    "withdrawals": money(r.withdrawals, r.currency),
                    "net_flow": money(r.net_flow, r.currency),
                    "closing_balance": money(r.closing_balance, r.currency),
                    "growth_vs_previous_pct": text(r.growth_vs_previous_pct),
                    "growth_vs_year_before_pct": text(r.growth_vs_year_before_pct),
                }
                for r in rows
            ],
        )
    ]


def drill(asked: Query, table: str, row: Mapping[str, Cell], column: str) -> Drill | None:
    """Each amount's entries: the same days, currency and definition as daily_totals counts
    them (deposits: deposit entries, which credit; withdrawals: withdrawal entries, which
    debit; net flow: both, signed; balances: every entry up to the period's end)."""
    start, end, currency = row["period_start"], row["period_end"], row["currency"]
    if start is None or end is None or currency is None:
        return None
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if column == "deposits":
        return Drill(
            EntryFilter(first, last, currency, ("deposit",), side=Side.CREDITS), Measure.CREDITS
        )
    if column == "withdrawals":
        return Drill(
            EntryFilter(first, last, currency, ("withdrawal",), side=Side.DEBITS), Measure.DEBITS
        )
    if column == "net_flow":
        return Drill(EntryFilter(first, last, currency, ("deposit", "withdrawal")), Measure.AMOUNT)
    if column == "closing_balance":
        return Drill(EntryFilter(None, last, currency), Measure.AMOUNT)
    return None


SPEC = Spec(
    "deposit_growth",
    "Deposit growth",
    "Deposits, withdrawals, net flow and customers' total balances per period and currency, "
    "with growth against the previous period and the same period a year before.",
    COLUMNS,
    build,
    Chart(
        "line",
        "period_end",
        "closing_balance",
        "currency",
        "Customers' total balances at each period's end",
    ),
    drill=drill,
)
