"""The drill-down of a figure that counts customers: the customers behind it, as a list staff
can page, with how many the whole filter selects (not the page), which equals the figure.
A report says which customers make each such figure (catalog.CustomerDrill)."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.accounts import User
from ...domain.security import Permission
from ...warehouse.base import AsOf, WarehousePort
from ...warehouse.customers import CustomerKey, ListedCustomer
from ..permissions import require
from .catalog import Cell, Column, Kind
from .customer_params import CustomerQuery

COLUMNS = (
    Column("customer_id", "Customer"),
    Column("signed_up", "Signed up", Kind.DATE),
    Column("segment", "Segment"),
    Column("last_entry", "Last entry", Kind.DATE),
    Column("category", "Category"),
)


@dataclass(frozen=True)
class CustomerList:
    """One page of customers (the latest signups first), how many the whole filter selects,
    the marks of the pages either side (None: nothing there) and what the warehouse
    reflects."""

    query: CustomerQuery
    customers: list[ListedCustomer]
    count: int
    newer: CustomerKey | None
    older: CustomerKey | None
    as_of: AsOf


def list_customers(warehouse: WarehousePort, user: User, asked: CustomerQuery) -> CustomerList:
    require(user, Permission.VIEW_REPORTS)
    with warehouse.reading() as reader:
        count = reader.customer_count(asked.where)
        page = reader.customer_page(
            asked.where, older=asked.older, newer=asked.newer, size=asked.size
        )
        as_of = reader.as_of()
    found = page.customers
    newer = found[0].key if found and page.newer else None
    older = found[-1].key if found and page.older else None
    if not found and (asked.older or asked.newer):
        # Past either end (a stale mark): offer the way back rather than a dead end.
        newer, older = (asked.older, None) if asked.older else (None, asked.newer)
    return CustomerList(asked, found, count, newer, older, as_of)


def rows(found: CustomerList) -> list[dict[str, Cell]]:
    return [
        {
            "customer_id": c.customer_id,
            "signed_up": c.signed_up.isoformat(),
            "segment": c.segment,
            "last_entry": c.last_entry.isoformat() if c.last_entry else None,
            "category": c.category,
        }
        for c in found.customers
    ]
