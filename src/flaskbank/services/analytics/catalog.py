"""What a report is made of, whatever it reports: typed columns, one or more tables, an
optional chart, and the filters it takes. The web layer renders, exports and documents any
report from these descriptions alone, so a new report is a new module and one line in
reports.SPECS, with no new view or template."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from ...domain.money import Money
from ...warehouse.customers import CustomerFilter
from ...warehouse.entries import EntryFilter, Measure
from .periods import Period

if TYPE_CHECKING:
    from ...warehouse.base import AsOf, WarehouseReader

#: A cell as it leaves the service: text (amounts already formatted) or None for "no value".
Cell = str | None


class Kind(StrEnum):
    """How a column's text reads, for number formats in exports and alignment on pages."""

    DATE = "date"  # YYYY-MM-DD
    TEXT = "text"
    MONEY = "money"  # a decimal amount in the row's currency, e.g. "1234.50"
    COUNT = "count"  # a whole number
    PCT = "pct"  # a percentage with two decimals, e.g. "12.50"


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Cell]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Chart:
    """Which columns of a table to draw: `y` against `x`, a line or bar per `series`; the
    report's first table unless `table` names another."""

    kind: str  # "line" or "bar"
    x: str
    y: str
    series: str | None
    caption: str
    table: str = ""


@dataclass(frozen=True)
class Query:
    """What was asked: a date range (both days included), a period and the report's filters."""

    first: date
    last: date
    period: Period
    filters: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "period": self.period.value,
            **self.filters,
        }


@dataclass(frozen=True)
class Filter:
    name: str
    title: str
    choices: tuple[str, ...] = ()  # empty: any short word is allowed
    blank: str = "all"  # what leaving it empty means, as a form's first choice says it


@dataclass(frozen=True)
class Drill:
    """The entries behind one figure, and which of their totals equals it to the cent. A
    money measure names its currency: sums of two currencies are not an amount."""

    entries: EntryFilter
    measure: Measure

    def __post_init__(self) -> None:
        if self.measure.is_money and not self.entries.currency:
            raise ValueError("a drill-down to an amount names its currency")


@dataclass(frozen=True)
class CustomerDrill:
    """The customers behind a figure that counts them: how many the filter selects equals
    it. (An entry list cannot: a customer may have no entry, or many.)"""

    customers: CustomerFilter


#: A report's drill-down: given the query asked, a table's name, one of its rows and a
#: column's name, the entries (or customers) behind that cell, or None when the cell has
#: none (a date, a percentage).
Drilling = Callable[[Query, str, Mapping[str, Cell], str], Drill | CustomerDrill | None]
#: Paths under /staff/reports that are not reports: no report may take these names.
RESERVED = frozenset({"entries", "customers"})


@dataclass(frozen=True)
class Spec:
    """A built-in report: `build` reads the warehouse and returns its tables, the first one
    the report's main table (`columns` and `rows` in the API); `drill`, when given, says
    which entries make each figure (the drill-down)."""

    name: str
    title: str
    summary: str
    columns: tuple[Column, ...]  # the main table's, for the API's documentation
    build: Callable[[WarehouseReader, Query], list[Table]]
    chart: Chart | None = None
    filters: tuple[Filter, ...] = ()
    #: Checks the filters together (a combination the report cannot answer); returns the
    #: errors by field, empty when the filters make sense.
    check: Callable[[dict[str, str]], dict[str, str]] | None = None
    drill: Drilling | None = None

    def __post_init__(self) -> None:
        if self.name in RESERVED:
            raise ValueError(f"{self.name!r} is a path of its own, not a report's name")


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    params: dict[str, str]
    as_of: AsOf
    tables: tuple[Table, ...]
    chart: Chart | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.tables[0].names

    @property
    def rows(self) -> list[dict[str, Cell]]:
        return self.tables[0].rows


def money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


def text(value: object) -> Cell:
    return None if value is None else str(value)
