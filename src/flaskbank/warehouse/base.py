"""The warehouse port: what the analytics services need from the warehouse, in plain data.

The consumer (services/analytics/feed.py) hands a batch of events, as the feed stores them,
to a `WarehouseWriter` together with the feed checkpoint they reach; the adapter turns them
into rows and stores both in one transaction, so the warehouse's own checkpoint always says
exactly which events its rows count. Reports read through a `WarehouseReader`, which never
waits for the writer. Standard library and the domain only: the services import this
module, never the adapter's database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from ..domain.compliance import CashDeposit
from ..domain.events import StoredEvent
from .customers import CustomerFilter, CustomerKey, CustomerPage
from .entries import EntryFilter, EntryKey, EntryPage, EntryTotals

#: The shortest activity window the warehouse answers exactly (WarehouseReader.recency).
SPELL_GAP_DAYS = 30


class WarehouseError(Exception):
    """The warehouse could not be read or written (busy past the wait, or damaged)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WarehouseStale(WarehouseError):
    """Another writer moved the warehouse's checkpoint since this batch was read: the batch
    is not applied (the other writer counted it) and the caller reads the checkpoint again."""


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
class SignupDay:
    """The customers (role customer) who signed up on one day of the reporting calendar, and
    how many of them made a deposit by the 30th day after it (a first deposit within 30 days)."""

    day: date
    customers: int
    activated: int


@dataclass(frozen=True)
class CohortDay:
    """The customers who signed up on one day, followed to their anniversaries `months[i]`
    months later (the signup day plus that many months; a day the month lacks counts as the
    month's last day). `active[i]` of them had an entry after the anniversary one month
    earlier and up to the i-th (day 0 is the signup day itself); `balances[currency][i]` is
    their total balance in that currency at the end of the i-th anniversary, minor units."""

    day: date
    customers: int
    active: tuple[int, ...]
    balances: Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class Volume:
    """Transactions of one type in one currency over some days (`day`) or at one hour of the
    day (`hour`, 0-23 local): how many, and their amount in positive minor units. Each counts
    once: a transfer between two customers by the leg that credits, not by its two legs."""

    day: date | None
    hour: int | None
    type: str
    currency: str
    transactions: int
    amount: int


@dataclass(frozen=True)
class Recency:
    """Customers signed up by the end of a day, and how many of them had an entry on any of
    their accounts by then (`ever`), within the last `short` days and within the last `long`
    days ending that day (both windows include the day itself)."""

    customers: int
    ever: int
    within_short: int
    within_long: int


@dataclass(frozen=True)
class RecencyAt:
    """Recency at the end of `day`, of all customers and of those whose every account opened
    by then was closed by then (a customer with no account is not among them)."""

    day: date
    everyone: Recency
    all_closed: Recency


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


@dataclass(frozen=True)
class CashDay:
    """One customer's cash on one day (reporting calendar) in one currency: how many
    deposits and withdrawals, and their amounts added up (both positive), minor units."""

    customer_id: str
    day: date
    currency: str
    transactions: int
    total: int


class WarehouseWriter(Protocol):
    def as_of(self) -> AsOf: ...

    def apply(self, events: Sequence[StoredEvent], *, after: str | None, reaches: str) -> None:
        """Store what the events say and move the checkpoint from `after` to `reaches` in
        one transaction; WarehouseStale if the checkpoint is no longer `after`."""

    def close_days(self, *, months: int | None = None) -> int:
        """Keep the closing balances of the days the feed has moved past and that are not
        kept yet (a summary the balances report reads), at most `months` months of them
        (None: all), in one transaction, once the session's batches are in; returns how
        many days that added."""


class WarehouseReader(Protocol):
    def as_of(self) -> AsOf: ...

    def day_flows(self, until: date) -> list[DayFlow]:
        """Every day with movements up to and including `until`, oldest first."""

    def signup_days(self, until: date) -> list[SignupDay]:
        """Every day on which customers signed up, up to and including `until`, oldest first."""

    def cohort_days(self, first: date, last: date, months: Sequence[int]) -> list[CohortDay]:
        """Every day from `first` to `last` on which customers signed up, oldest first, with
        their activity and balances at their anniversaries `months` months later."""

    def last_day(self) -> date | None:
        """The day (reporting calendar) of the last event counted; None before any."""

    def currencies(self) -> list[str]:
        """The currencies of the customers' accounts, sorted."""

    def daily_volume(self, first: date, last: date) -> list[Volume]:
        """Each day from first to last (both included) with transactions, by type and
        currency (`hour` None), in order."""

    def hourly_volume(self, first: date, last: date) -> list[Volume]:
        """The transactions of the days first..last by local hour of day, type and currency
        (`day` None), in order; hours without any are left out."""

    def recency(self, days: Sequence[date], *, short: int, long: int) -> list[RecencyAt]:
        """Recency at the end of each of `days`, in the order given. Windows of fewer than
        `SPELL_GAP_DAYS` are refused (ValueError): the warehouse keeps activity to that
        resolution."""

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

    def measure(self, asked: Measure) -> list[Measured]:
        """The periods that have something to count (the rest count zero), oldest first."""

    def entry_totals(self, where: EntryFilter) -> list[EntryTotals]:
        """The totals of every entry `where` selects, one per currency (by currency)."""

    def entry_page(
        self, where: EntryFilter, *, older: EntryKey | None, newer: EntryKey | None, size: int
    ) -> EntryPage:
        """Up to `size` entries `where` selects, newest first: the newest, or those just
        older than `older`, or those just newer than `newer` (a keyset: no OFFSET)."""

    def cash_days(self, first: date, last: date, over: Mapping[str, int]) -> list[CashDay]:
        """The customers' days in first..last whose cash (deposits plus withdrawals) in a
        currency of `over` adds up to more than its amount there, minor units; by day, then
        the largest total first (ties: customer id, currency)."""

    def cash_deposits(
        self, first: date, last: date, low: Mapping[str, int], high: Mapping[str, int]
    ) -> list[CashDeposit]:
        """The deposits made in first..last in a currency of `low` of at least its amount
        there and at most `high`'s; by customer id, day, transaction id."""

    def customer_count(self, where: CustomerFilter) -> int:
        """How many customers `where` selects."""

    def customer_page(
        self,
        where: CustomerFilter,
        *,
        older: CustomerKey | None,
        newer: CustomerKey | None,
        size: int,
    ) -> CustomerPage:
        """Up to `size` customers `where` selects, the latest signups first (then the larger
        id): the first, or those just after `older`, or just before `newer` (a keyset)."""


class WarehousePort(Protocol):
    def writing(self, *, fresh: bool = False) -> AbstractContextManager[WarehouseWriter]:
        """The one writer's session; on a clean exit what it applied is published to readers.
        `fresh`: start from an empty warehouse (a rebuild), published only when done."""

    def reading(self) -> AbstractContextManager[WarehouseReader]:
        """A reader on the last published state: never blocked by a writer."""

    def export(self, to: Path) -> list[Path]:
        """Write the published tables as Parquet under `to`; returns the files written."""
