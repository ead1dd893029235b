"""Deposit growth, per period and currency: deposits, withdrawals, net flow, the customers'
total balance at the period's end, and its growth against the previous period and the same
period a year earlier. A pure function of the days' flows (warehouse/base.DayFlow); the
figures are integer minor units until they leave as text."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import accumulate

from ...warehouse.base import DayFlow
from .periods import Period, spans, year_before

COLUMNS = (
    "period_start",
    "period_end",
    "currency",
    "deposits",
    "withdrawals",
    "net_flow",
    "closing_balance",
    "growth_vs_previous_pct",
    "growth_vs_year_before_pct",
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
