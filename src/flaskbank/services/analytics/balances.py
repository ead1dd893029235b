"""Balances, at each period's end, by account type, customer segment and currency: how many
accounts exist then, their total, average, median, smallest and largest closing balance;
the totals per period and currency (the chart); and how the balances at the range's last
day spread over bands of powers of ten. Pure functions of the warehouse's groups
(warehouse/base.BalanceGroup, BalanceMagnitude); integer minor units until they leave as
text, rounded half-even to the minor unit where a mean is taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ...domain.accounts import AccountType
from ...domain.money import minor_exponent
from ...warehouse.base import BalanceGroup, BalanceMagnitude, WarehouseReader
from ...warehouse.entries import EntryFilter, Measure
from .catalog import Cell, Chart, Column, Drill, Filter, Kind, Query, Spec, Table, money
from .periods import Period, spans

COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("account_type", "Account type"),
    Column("segment", "Segment"),
    Column("currency", "Currency"),
    Column("accounts", "Accounts", Kind.COUNT),
    Column("total", "Total", Kind.MONEY),
    Column("average", "Average", Kind.MONEY),
    Column("median", "Median", Kind.MONEY),
    Column("min", "Smallest", Kind.MONEY),
    Column("max", "Largest", Kind.MONEY),
)
TOTAL_COLUMNS = (
    Column("period_start", "Period start", Kind.DATE),
    Column("period_end", "Period end", Kind.DATE),
    Column("currency", "Currency"),
    Column("accounts", "Accounts", Kind.COUNT),
    Column("total", "Total", Kind.MONEY),
)
BAND_COLUMNS = (
    Column("day", "At the end of", Kind.DATE),
    Column("account_type", "Account type"),
    Column("currency", "Currency"),
    Column("band", "Balance band"),
    Column("accounts", "Accounts", Kind.COUNT),
    Column("total", "Total", Kind.MONEY),
)
#: Balance bands in the currency's major units: below 0, then [0, 100), [100, 1,000), ...
BANDS = ("below 0", "0 to <100", "100 to <1,000", "1,000 to <10,000", "10,000 to <100,000")
TOP_BAND = "100,000 and over"


def divide(total: int, count: int) -> int:
    """total / count rounded half-even to a whole number, exactly (no float, no context)."""
    quotient, remainder = divmod(total, count)
    twice = 2 * remainder
    if twice > count or (twice == count and quotient % 2 == 1):
        return quotient + 1
    return quotient


@dataclass(frozen=True)
class BalanceRow:
    period_start: date
    period_end: date
    group: BalanceGroup
    average: int
    median: int


def balance_rows(
    groups: Sequence[BalanceGroup], first: date, last: date, period: Period
) -> list[BalanceRow]:
    """Each group at each whole period's end, with its period, average and median."""
    starts = {end: start for start, end in spans(first, last, period)}
    return [
        BalanceRow(
            starts[g.day],
            g.day,
            g,
            divide(g.total, g.accounts),
            divide(g.low_middle + g.high_middle, 2),
        )
        for g in groups
    ]


def band_of(digits: int, currency: str) -> str:
    """The band of a balance with `digits` digits in minor units (-1: negative)."""
    if digits < 0:
        return BANDS[0]
    # [0, 100) in major units is fewer than 3 + exponent digits in minor units, and so on.
    index = max(digits - (2 + minor_exponent(currency)), 0) + 1
    return BANDS[index] if index < len(BANDS) else TOP_BAND


def distribution(magnitudes: Sequence[BalanceMagnitude]) -> list[tuple[str, str, str, int, int]]:
    """(account type, currency, band, accounts, total) for every band of every type and
    currency present, empty bands included, in band order."""
    found: dict[tuple[str, str, str], list[int]] = {}
    for m in magnitudes:
        key = (m.account_type, m.currency, band_of(m.digits, m.currency))
        counted = found.setdefault(key, [0, 0])
        counted[0] += m.accounts
        counted[1] += m.total
    kinds = sorted({(m.account_type, m.currency) for m in magnitudes})
    rows = []
    for kind, currency in kinds:
        for band in (*BANDS, TOP_BAND):
            accounts, total = found.get((kind, currency, band), [0, 0])
            rows.append((kind, currency, band, accounts, total))
    return rows


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    covered = spans(asked.first, asked.last, asked.period)
    kind, segment = asked.filters.get("account_type"), asked.filters.get("segment")
    groups = reader.balance_groups([end for _, end in covered], account_type=kind, segment=segment)
    rows = balance_rows(groups, asked.first, asked.last, asked.period)
    totals: dict[tuple[date, date, str], list[int]] = {}
    for r in rows:
        counted = totals.setdefault((r.period_start, r.period_end, r.group.currency), [0, 0])
        counted[0] += r.group.accounts
        counted[1] += r.group.total
    bands = distribution(reader.balance_magnitudes(asked.last, account_type=kind, segment=segment))
    by = asked.period.value
    return [
        Table(
            "balances",
            f"Balances at each {by}'s end",
            COLUMNS,
            [
                {
                    "period_start": r.period_start.isoformat(),
                    "period_end": r.period_end.isoformat(),
                    "account_type": r.group.account_type,
                    "segment": r.group.segment,
                    "currency": r.group.currency,
                    "accounts": str(r.group.accounts),
                    "total": money(r.group.total, r.group.currency),
                    "average": money(r.average, r.group.currency),
                    "median": money(r.median, r.group.currency),
                    "min": money(r.group.minimum, r.group.currency),
                    "max": money(r.group.maximum, r.group.currency),
                }
                for r in rows
            ],
        ),
        Table(
            "totals",
            f"All these accounts at each {by}'s end",
            TOTAL_COLUMNS,
            [
                {
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "currency": currency,
                    "accounts": str(accounts),
                    "total": money(total, currency),
                }
                for (start, end, currency), (accounts, total) in sorted(totals.items())
            ],
        ),
        Table(
            "distribution",
            f"Balances by band at the end of {asked.last.isoformat()}",
            BAND_COLUMNS,
            [
                {
                    "day": asked.last.isoformat(),
                    "account_type": kind_,
                    "currency": currency,
                    "band": band,
                    "accounts": str(accounts),
                    "total": money(total, currency),
                }
                for kind_, currency, band, accounts, total in bands
            ],
        ),
    ]


def drill(asked: Query, table: str, row: Mapping[str, Cell], column: str) -> Drill | None:
    """A total: every entry up to the period's end on the accounts that exist then (not
    closed at its end; an account not yet opened has no entries), of the row's group (or, in
    `totals`, of the report's filters) and currency. Counts of accounts, averages, medians,
    extremes and bands are not sums of entries: none."""
    end, currency = row.get("period_end"), row.get("currency")
    if column != "total" or table not in ("balances", "totals") or not end or not currency:
        return None
    if table == "balances":
        kind, segment = row.get("account_type"), row.get("segment")
    else:
        kind, segment = asked.filters.get("account_type"), asked.filters.get("segment")
    where = EntryFilter(
        None,
        date.fromisoformat(end),
        currency,
        account_type=kind or None,
        segment=segment or None,
        open_at_end=True,
    )
    return Drill(where, Measure.AMOUNT)


SPEC = Spec(
    "balances",
    "Balances",
    "Accounts and their closing balances at each period's end by account type, segment and "
    "currency (total, average, median, smallest, largest), and by balance band at the end "
    "of the range.",
    COLUMNS,
    build,
    Chart(
        "line",
        "period_end",
        "total",
        "currency",
        "Total balances of these accounts at each period's end",
        table="totals",
    ),
    (
        Filter("account_type", "Account type", tuple(t.value for t in AccountType)),
        Filter("segment", "Segment"),
    ),
    drill=drill,
)
