"""The warehouse port: what the analytics services need from the warehouse, in plain data.

The consumer (services/analytics/feed.py) turns a batch of events into `Facts` and hands them
to a `WarehouseWriter` together with the feed checkpoint they reach; the adapter stores both
in one transaction, so the warehouse's own checkpoint always says exactly which events its
rows count. Reports read through a `WarehouseReader`, which never waits for the writer.
Standard library only: the services import this module, never the adapter's database.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol


class WarehouseError(Exception):
    """The warehouse could not be read or written (busy past the wait, or damaged)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WarehouseStale(WarehouseError):
    """Another writer moved the warehouse's checkpoint since this batch was read: the batch
    is not applied (the other writer counted it) and the caller reads the checkpoint again."""


@dataclass
class Facts:
    """One batch of events as rows, column by column (the adapter loads columns in bulk).
    Amounts are signed integer minor units; times are ISO 8601 UTC text as in the feed."""

    # entries: one per customer-account leg of a posted transaction
    entry_transaction: list[str] = field(default_factory=list)
    entry_account: list[str] = field(default_factory=list)
    entry_type: list[str] = field(default_factory=list)
    entry_amount: list[int] = field(default_factory=list)
    entry_currency: list[str] = field(default_factory=list)
    entry_at: list[str] = field(default_factory=list)
    # customers: user_id, role, signed up at, segment ("" when the feed does not say)
    customers: list[tuple[str, str, str, str]] = field(default_factory=list)
    # accounts: account_id, user_id, type, currency, opened at
    accounts: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    # status changes: account_id, status, at
    statuses: list[tuple[str, str, str]] = field(default_factory=list)
    # hold events: hold_id, account_id, what happened, amount (minor units), currency, at
    holds: list[tuple[str, str, str, int, str, str]] = field(default_factory=list)
    #: events in the batch, and the time of the last one (the `as_of` of what it reaches)
    events: int = 0
    last_at: str = ""


@dataclass(frozen=True)
class AsOf:
    """What the warehouse reflects: the feed position it has counted up to (None: nothing
    yet), the time of the last event counted, and how many events it has counted."""

    position: str | None
    last_event_at: str
    events: int


@dataclass(frozen=True)
class DayFlow:
    """One day's movements on customer accounts in one currency, in minor units:
    deposits and withdrawals (both positive) and the day's net change of customer balances
    (deposits - withdrawals, plus transfers, which net to zero between customers)."""

    day: date
    currency: str
    deposits: int
    withdrawals: int
    net: int


@dataclass(frozen=True)
class BalanceGroup:
    """The closing balances at the end of `day` of the accounts of one type, customer segment
    ("unknown" when not known) and currency that exist by then (opened on or before that
    day, not closed at its end), in minor units: how many, their total, the smallest and
    largest, and the two middle ones of the sorted balances (the same one when the count is
    odd). An account with no movement yet counts with a balance of 0."""

    day: date
    account_type: str
    segment: str
    currency: str
    accounts: int
    total: int
    minimum: int
    maximum: int
    low_middle: int
    high_middle: int


@dataclass(frozen=True)
class BalanceMagnitude:
    """The accounts of one type and currency whose closing balance has `digits` decimal
    digits in minor units (0 for a zero balance, -1 for any negative balance), with their
    total: enough to band balances by powers of ten in any currency's major units."""

    account_type: str
    currency: str
    digits: int
    accounts: int
    total: int


@dataclass(frozen=True)
class CustomerBalance:
    """One customer's accounts in one currency that exist at a day's end, and their total
    closing balance (minor units)."""

    customer_id: str
    segment: str
    currency: str
    accounts: int
    balance: int


@dataclass(frozen=True)
class CustomerFlow:
    """What moved on one customer's accounts in one currency over some days: credits
    (money_in) and debits (money_out), both positive minor units."""

    customer_id: str
    segment: str
    currency: str
    money_in: int
    money_out: int


class WarehouseWriter(Protocol):
    def as_of(self) -> AsOf: ...

    def apply(self, facts: Facts, *, after: str | None, reaches: str) -> None:
        """Store the facts and move the checkpoint from `after` to `reaches` in one
        transaction; WarehouseStale if the checkpoint is no longer `after`."""


class WarehouseReader(Protocol):
    def as_of(self) -> AsOf: ...

    def day_flows(self, until: date) -> list[DayFlow]:
        """Every day with movements up to and including `until`, oldest first."""

    def balance_groups(
        self, days: Sequence[date], *, account_type: str | None, segment: str | None
    ) -> list[BalanceGroup]:
        """At the end of each day in `days`, the accounts that exist then (of that type and
        segment when given), grouped; ordered by day, type, segment, currency."""

    def balance_magnitudes(
        self, day: date, *, account_type: str | None, segment: str | None
    ) -> list[BalanceMagnitude]:
        """The same accounts at the end of `day`, counted by the size of their balance."""

    def top_balances(self, day: date, limit: int) -> list[CustomerBalance]:
        """Per currency, the `limit` customers with the largest total balance at the end of
        `day` (ties: the smaller customer id first); by currency, then that order."""

    def top_flows(self, first: date, last: date, limit: int) -> list[CustomerFlow]:
        """Per currency, the `limit` customers with the largest money in + money out over
        first..last (both included; ties: the smaller customer id first); by currency, then
        that order."""


class WarehousePort(Protocol):
    def writing(self, *, fresh: bool = False) -> AbstractContextManager[WarehouseWriter]:
        """The one writer's session; on a clean exit what it applied is published to readers.
        `fresh`: start from an empty warehouse (a rebuild), published only when done."""

    def reading(self) -> AbstractContextManager[WarehouseReader]:
        """A reader on the last published state: never blocked by a writer."""

    def export(self, to: Path) -> list[Path]:
        """Write the published tables as Parquet under `to`; returns the files written."""
