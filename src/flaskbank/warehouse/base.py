"""The warehouse port: what the analytics services need from the warehouse, in plain data.

The consumer (services/analytics/feed.py) turns a batch of events into `Facts` and hands them
to a `WarehouseWriter` together with the feed checkpoint they reach; the adapter stores both
in one transaction, so the warehouse's own checkpoint always says exactly which events its
rows count. Reports read through a `WarehouseReader`, which never waits for the writer.
Standard library only: the services import this module, never the adapter's database.
"""

from __future__ import annotations

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
class Measure:
    """What the report builder asks: one measure per period, group and currency, over the
    days `since`..`until` (both included; since None: from the first day there is).

    measure: `deposits` and `withdrawals` (sums of those entries, both positive),
    `net_flow` (the sum of the entries: the change of customer balances), `transactions`
    (distinct transactions with an entry that counts), `active_customers` (distinct
    customers with an entry that counts), `new_customers` (customers who signed up that day
    in the reporting time zone). `period`: day, week (ISO, from Monday), month, quarter or
    year. `group_by`: account_type, segment or None. The filters narrow what counts."""

    measure: str
    period: str
    since: date | None
    until: date
    group_by: str | None = None
    currency: str | None = None
    account_type: str | None = None
    segment: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Measured:
    """One period's figure: `start` is the period's first day; `group` None when not
    grouped (a customer with no segment is in group "unknown"); `currency` None for counts
    of sign-ups; `value` in minor units for money, else a count."""

    start: date
    group: str | None
    currency: str | None
    value: int


class WarehouseWriter(Protocol):
    def as_of(self) -> AsOf: ...

    def apply(self, facts: Facts, *, after: str | None, reaches: str) -> None:
        """Store the facts and move the checkpoint from `after` to `reaches` in one
        transaction; WarehouseStale if the checkpoint is no longer `after`."""


class WarehouseReader(Protocol):
    def as_of(self) -> AsOf: ...

    def day_flows(self, until: date) -> list[DayFlow]:
        """Every day with movements up to and including `until`, oldest first."""

    def measure(self, asked: Measure) -> list[Measured]:
        """The periods that have something to count (the rest count zero), oldest first."""


class WarehousePort(Protocol):
    def writing(self, *, fresh: bool = False) -> AbstractContextManager[WarehouseWriter]:
        """The one writer's session; on a clean exit what it applied is published to readers.
        `fresh`: start from an empty warehouse (a rebuild), published only when done."""

    def reading(self) -> AbstractContextManager[WarehouseReader]:
        """A reader on the last published state: never blocked by a writer."""

    def export(self, to: Path) -> list[Path]:
        """Write the published tables as Parquet under `to`; returns the files written."""
