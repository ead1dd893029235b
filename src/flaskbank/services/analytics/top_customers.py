"""Top customers: per currency, the customers with the largest total balance at the range's
last day, and those with the largest flow (money in + money out) over the range. Customer
ids only: the warehouse holds no personal data. Pure formatting of the warehouse's rankings
(warehouse/base.CustomerBalance, CustomerFlow); integer minor units until they leave as
text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...warehouse.base import CustomerBalance, CustomerFlow, WarehouseReader
from ...warehouse.entries import EntryFilter, Measure, Side
from .catalog import Cell, Column, Drill, Kind, Query, Spec, Table, money

#: How many customers each table ranks, per currency.
TOP = 20

COLUMNS = (
    Column("rank", "Rank", Kind.COUNT),
    Column("customer_id", "Customer id"),
    Column("segment", "Segment"),
    Column("accounts", "Accounts", Kind.COUNT),
    Column("balance", "Balance", Kind.MONEY),
    Column("currency", "Currency"),
)
FLOW_COLUMNS = (
    Column("rank", "Rank", Kind.COUNT),
    Column("customer_id", "Customer id"),
    Column("segment", "Segment"),
    Column("money_in", "Money in", Kind.MONEY),
    Column("money_out", "Money out", Kind.MONEY),
    Column("flow", "Flow (in + out)", Kind.MONEY),
    Column("net", "Net (in - out)", Kind.MONEY),
    Column("currency", "Currency"),
)


def ranks(currencies: Sequence[str]) -> list[int]:
    """1, 2, ... within each currency, for rows already in order by currency."""
    found, previous, rank = [], None, 0
    for currency in currencies:
        rank = rank + 1 if currency == previous else 1
        previous = currency
        found.append(rank)
    return found


def balance_rows(ranked: Sequence[CustomerBalance]) -> list[dict[str, Cell]]:
    return [
        {
            "rank": str(rank),
            "customer_id": c.customer_id,
            "segment": c.segment,
            "accounts": str(c.accounts),
            "balance": money(c.balance, c.currency),
            "currency": c.currency,
        }
        for rank, c in zip(ranks([c.currency for c in ranked]), ranked, strict=True)
    ]


def flow_rows(ranked: Sequence[CustomerFlow]) -> list[dict[str, Cell]]:
    return [
        {
            "rank": str(rank),
            "customer_id": c.customer_id,
            "segment": c.segment,
            "money_in": money(c.money_in, c.currency),
            "money_out": money(c.money_out, c.currency),
            "flow": money(c.money_in + c.money_out, c.currency),
            "net": money(c.money_in - c.money_out, c.currency),
            "currency": c.currency,
        }
        for rank, c in zip(ranks([c.currency for c in ranked]), ranked, strict=True)
    ]


def build(reader: WarehouseReader, asked: Query) -> list[Table]:
    first, last = asked.first.isoformat(), asked.last.isoformat()
    return [
        Table(
            "by_balance",
            f"The {TOP} largest total balances at the end of {last}",
            COLUMNS,
            balance_rows(reader.top_balances(asked.last, TOP)),
        ),
        Table(
            "by_flow",
            f"The {TOP} largest flows from {first} to {last}",
            FLOW_COLUMNS,
            flow_rows(reader.top_flows(asked.first, asked.last, TOP)),
        ),
    ]


def drill(asked: Query, table: str, row: Mapping[str, Cell], column: str) -> Drill | None:
    """A customer's balance: every entry up to `to` on their accounts in the row's currency
    that exist then; money in, money out and net: their credits, debits or all entries from
    `from` to `to` (closed accounts too). Flow (in + out) is no one total of a list: none."""
    customer, currency = row.get("customer_id"), row.get("currency")
    if not customer or not currency:
        return None
    if table == "by_balance" and column == "balance":
        where = EntryFilter(None, asked.last, currency, customer_id=customer, open_at_end=True)
        return Drill(where, Measure.AMOUNT)
    sides = {
        "money_in": (Side.CREDITS, Measure.CREDITS),
        "money_out": (Side.DEBITS, Measure.DEBITS),
        "net": (Side.ALL, Measure.AMOUNT),
    }
    if table == "by_flow" and column in sides:
        side, measure = sides[column]
        where = EntryFilter(asked.first, asked.last, currency, customer_id=customer, side=side)
        return Drill(where, measure)
    return None


SPEC = Spec(
    "top_customers",
    "Top customers",
    f"Per currency, the {TOP} customers with the largest total balance at the end of the "
    f"range and the {TOP} with the largest flow (money in + money out) over it; customer "
    "ids only.",
    COLUMNS,
    build,
    drill=drill,
)
