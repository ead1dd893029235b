"""Transaction volume: how many transactions of each type, and how much money they moved,
per period and currency; and the same over the whole range by hour of the day and by day of
the week (both in the reporting time zone). A transaction counts once: a transfer between
two customers with its amount, not as its two legs. A pure function of the warehouse's
volumes (warehouse/base.Volume); amounts are integer minor units until they leave as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from ...warehouse.base import Volume, WarehouseReader
from ...warehouse.entries import EntryFilter, Measure, Side
from .catalog import Cell, Chart, Column, Drill, Filter, Kind, Query, Spec, Table, money
from .periods import Period, spans, start_of

TYPES = ("deposit", "withdrawal", "transfer")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_MEASURES = (
    Column("type", "Type"),
    Column("currency", "Currency"),
    Column("transactions", "Transactions", Kind.COUNT),
    Column("amount", "Amount", Kind.MONEY),
)
COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    *_MEASURES,
)
HOUR_COLUMNS = (Column("hour", "Hour of day"), *_MEASURES)
WEEKDAY_COLUMNS = (Column("weekday", "Day of week"), *_MEASURES)


K = TypeVar("K", tuple[date, date], int)


@dataclass(frozen=True)
class VolumeRow(Generic[K]):
    """`at`: the period (its first and last day), the hour (0-23) or the weekday (0 is
    Monday)."""

    at: K
    type: str
    currency: str
    transactions: int
    amount: int


@dataclass(frozen=True)
class VolumeTables:
    by_period: list[VolumeRow[tuple[date, date]]]
    by_hour: list[VolumeRow[int]]
    by_weekday: list[VolumeRow[int]]


class _Totals(Generic[K]):
    """Count and amount per (key, type, currency), read back as a whole grid, zeros included."""

    def __init__(self) -> None:
        self.cells: dict[tuple[K, str, str], tuple[int, int]] = {}

    def add(self, key: K, v: Volume) -> None:
        n, amount = self.cells.get((key, v.type, v.currency), (0, 0))
        self.cells[key, v.type, v.currency] = (n + v.transactions, amount + v.amount)

    def grid(
        self, keys: Sequence[K], types: Sequence[str], currencies: Sequence[str]
    ) -> list[VolumeRow[K]]:
        return [
            VolumeRow(key, t, c, *self.cells.get((key, t, c), (0, 0)))
            for key in keys
            for t in types
            for c in currencies
        ]


def transaction_volume(
    days: Sequence[Volume],
    hours: Sequence[Volume],
    first: date,
    last: date,
    period: Period,
    only: str | None = None,
) -> VolumeTables:
    """Every whole period covering first..last, every hour and every weekday, for each type
    (or `only` that one) and each currency with transactions of those types in `days` (the
    days of those periods, by day) and `hours` (the same days, by hour): zero where there
    were none."""
    types = (only,) if only else TYPES
    covered = spans(first, last, period)
    span_of = {start: (start, end) for start, end in covered}
    per_period: _Totals[tuple[date, date]] = _Totals()
    per_weekday: _Totals[int] = _Totals()
    per_hour: _Totals[int] = _Totals()
    currencies: set[str] = set()
    for v in days:
        if v.type in types and v.day is not None:
            per_period.add(span_of[start_of(v.day, period)], v)
            per_weekday.add(v.day.weekday(), v)
            currencies.add(v.currency)
    for v in hours:
        if v.type in types and v.hour is not None:
            per_hour.add(v.hour, v)
    order = sorted(currencies)
    return VolumeTables(
        per_period.grid(covered, types, order),
        per_hour.grid(range(24), types, order),
        per_weekday.grid(range(7), types, order),
    )


def _measures(r: VolumeRow[K]) -> dict[str, Cell]:
    return {
        "type": r.type,
        "currency": r.currency,
        "transactions": str(r.transactions),
        "amount": money(r.amount, r.currency),
    }


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    covered = spans(asked.first, asked.last, asked.period)
    first, last = covered[0][0], covered[-1][1]
    tables = transaction_volume(
        reader.daily_volume(first, last),
        reader.hourly_volume(first, last),
        asked.first,
        asked.last,
        asked.period,
        asked.filters.get("type"),
    )
    return [
        Table(
            "transaction_volume",
            f"Transaction volume by {asked.period.value}",
            COLUMNS,
            [
                {
                    "period_start": r.at[0].isoformat(),
                    "period_end": r.at[1].isoformat(),
                    **_measures(r),
                }
                for r in tables.by_period
            ],
        ),
        Table(
            "by_hour",
            f"By hour of day, {first.isoformat()} to {last.isoformat()}",
            HOUR_COLUMNS,
            [{"hour": str(r.at), **_measures(r)} for r in tables.by_hour],
        ),
        Table(
            "by_weekday",
            f"By day of week, {first.isoformat()} to {last.isoformat()}",
            WEEKDAY_COLUMNS,
            [{"weekday": WEEKDAYS[r.at], **_measures(r)} for r in tables.by_weekday],
        ),
    ]


#: Where hourly_volume counts each type once: a deposit and a transfer on the leg that
#: credits, a withdrawal on its one (debit) leg; which of those legs' totals is the amount.
_COUNTED = {
    "deposit": (Side.CREDITS, Measure.CREDITS),
    "withdrawal": (Side.DEBITS, Measure.DEBITS),
    "transfer": (Side.CREDITS, Measure.CREDITS),
}


def drill(asked: Query, table: str, row: Mapping[str, Cell], column: str) -> Drill | None:
    """A count or an amount: the legs each transaction is counted on (one per transaction,
    so their entries are the transactions), on the row's days, hour or weekday, of its type
    and currency. The hour and weekday tables cover the whole periods of the range."""
    kind, currency = row.get("type"), row.get("currency")
    if column not in ("transactions", "amount") or kind not in _COUNTED or currency is None:
        return None
    side, amount = _COUNTED[kind]
    covered = spans(asked.first, asked.last, asked.period)
    first, last = covered[0][0], covered[-1][1]
    weekday = hour = None
    if table == "transaction_volume":
        first = date.fromisoformat(str(row["period_start"]))
        last = date.fromisoformat(str(row["period_end"]))
    elif table == "by_hour":
        hour = int(str(row["hour"]))
    elif table == "by_weekday":
        weekday = WEEKDAYS.index(str(row["weekday"])) + 1
    else:
        return None
    where = EntryFilter(first, last, currency, (kind,), side=side, weekday=weekday, hour=hour)
    return Drill(where, Measure.TRANSACTIONS if column == "transactions" else amount)


SPEC = Spec(
    "transaction_volume",
    "Transaction volume",
    "How many deposits, withdrawals and transfers, and how much they moved, per period and "
    "currency; and over the whole range by hour of the day and by day of the week.",
    COLUMNS,
    build,
    Chart("line", "period_end", "transactions", "type", "Transactions per period, by type"),
    (Filter("type", "Type", TYPES),),
    drill=drill,
)
