"""The drill-down: the entries behind a report's figure, as a list staff can filter and page,
with the totals over the whole filter (not the page). A report says which entries make each
of its figures (catalog.Spec.drill); `drills` asks it for every cell of a report, and one of
the list's totals (`Drill.measure`) equals the figure to the cent. A figure that counts
customers opens the customers instead (catalog.CustomerDrill, customer_list.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from ...domain.accounts import User
from ...domain.ledger import utc_iso
from ...domain.security import Permission
from ...warehouse.base import AsOf, WarehousePort
from ...warehouse.entries import Entry, EntryKey, EntryTotals, Measure
from ..permissions import require
from . import customer_params
from .catalog import Cell, Column, CustomerDrill, Drill, Kind, Query, Spec, Table, money
from .entry_params import EntryQuery, params

COLUMNS = (
    Column("posted_at", "Posted at (UTC)"),
    Column("day", "Day", Kind.DATE),
    Column("transaction_id", "Transaction"),
    Column("type", "Type"),
    Column("account_id", "Account"),
    Column("account_type", "Account type"),
    Column("customer_id", "Customer"),
    Column("segment", "Segment"),
    Column("amount", "Amount", Kind.MONEY),
    Column("currency", "Currency"),
)
TOTALS = (
    Column("currency", "Currency"),
    Column("entries", "Entries", Kind.COUNT),
    Column("transactions", "Transactions", Kind.COUNT),
    Column("amount", "Sum of amounts", Kind.MONEY),
    Column("credits", "Credits", Kind.MONEY),
    Column("debits", "Debits", Kind.MONEY),
)


@dataclass(frozen=True)
class EntryList:
    """One page of entries, newest first, the totals of the whole filter (one per currency),
    the marks of the pages either side (None: nothing there) and what the warehouse reflects."""

    query: EntryQuery
    entries: list[Entry]
    totals: list[EntryTotals]
    newer: EntryKey | None
    older: EntryKey | None
    as_of: AsOf


def list_entries(warehouse: WarehousePort, user: User, asked: EntryQuery) -> EntryList:
    require(user, Permission.VIEW_REPORTS)
    with warehouse.reading() as reader:
        totals = reader.entry_totals(asked.where)
        page = reader.entry_page(asked.where, older=asked.older, newer=asked.newer, size=asked.size)
        as_of = reader.as_of()
    found = page.entries
    newer = found[0].key if found and page.newer else None
    older = found[-1].key if found and page.older else None
    if not found and (asked.older or asked.newer):
        # Past either end (a stale mark): offer the way back rather than a dead end.
        newer, older = (asked.older, None) if asked.older else (None, asked.newer)
    return EntryList(asked, found, totals, newer, older, as_of)


def figure(totals: list[EntryTotals], measure: Measure, currency: str | None) -> str:
    """The total a figure equals, written as the report writes it: an amount in its
    currency, or a count over every currency (a transaction moves one currency)."""
    if measure.is_money:
        if currency is None:
            raise ValueError("an amount is of one currency")
        return money(sum(t.of(measure) for t in totals if t.currency == currency), currency)
    return str(sum(t.of(measure) for t in totals))


def rows(found: EntryList) -> list[dict[str, Cell]]:
    return [
        {
            "posted_at": utc_iso(e.posted_at.replace(tzinfo=UTC)),
            "day": e.day.isoformat(),
            "transaction_id": e.transaction_id,
            "type": e.type,
            "account_id": e.account_id,
            "account_type": e.account_type,
            "customer_id": e.customer_id,
            "segment": e.segment,
            "amount": money(e.amount, e.currency),
            "currency": e.currency,
        }
        for e in found.entries
    ]


def total_rows(found: EntryList) -> list[dict[str, Cell]]:
    return [
        {
            "currency": t.currency,
            "entries": str(t.entries),
            "transactions": str(t.transactions),
            "amount": money(t.amount, t.currency),
            "credits": money(t.credits, t.currency),
            "debits": money(t.debits, t.currency),
        }
        for t in found.totals
    ]


def drills(
    spec: Spec, asked: Query, tables: tuple[Table, ...]
) -> list[list[dict[str, Drill | CustomerDrill]]]:
    """Per table, per row, the drill-down of each cell that has one (empty: the report has
    none)."""
    found = []
    for table in tables:
        per_row = []
        for row in table.rows:
            cells = {}
            for name in table.names if spec.drill else ():
                drill = spec.drill(asked, table.name, row, name) if spec.drill else None
                if drill is not None:
                    cells[name] = drill
            per_row.append(cells)
        found.append(per_row)
    return found


#: The customer list's one total, which a figure that counts customers equals.
CUSTOMERS = "customers"


def link_params(drill: Drill | CustomerDrill) -> dict[str, str]:
    """The list's parameters for one figure's drill-down (entries or customers)."""
    if isinstance(drill, CustomerDrill):
        return customer_params.params(drill.customers)
    return {**params(drill.entries), "measure": drill.measure.value}


def measure_of(drill: Drill | CustomerDrill) -> str:
    """The name of the list's total that equals the figure."""
    return CUSTOMERS if isinstance(drill, CustomerDrill) else drill.measure.value
