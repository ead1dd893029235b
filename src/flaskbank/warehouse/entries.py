"""The drill-down's plain data: which entries to list (`EntryFilter`), where a page starts
(`EntryKey`, a keyset cursor), the entries themselves and their totals over the whole filter.
Amounts are integer minor units. Standard library only, like the rest of the port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Side(StrEnum):
    """Which entries: all, or only those that credit (amount > 0) or debit (< 0) the account."""

    ALL = "all"
    CREDITS = "credits"
    DEBITS = "debits"


class Measure(StrEnum):
    """One of an entry list's totals: the one a report's figure equals (catalog.Drill)."""

    ENTRIES = "entries"
    TRANSACTIONS = "transactions"
    AMOUNT = "amount"  # signed sum
    CREDITS = "credits"
    DEBITS = "debits"  # positive

    @property
    def is_money(self) -> bool:
        return self in (Measure.AMOUNT, Measure.CREDITS, Measure.DEBITS)


@dataclass(frozen=True)
class EntryFilter:
    """Entries whose day (in the reporting time zone) lies in first..last (None: unbounded),
    and that match every other field given (None or empty: any). The segment `unknown`
    selects customers whose segment the warehouse does not know (as the reports group them)."""

    first: date | None = None
    last: date | None = None
    currency: str | None = None
    types: tuple[str, ...] = ()  # any of these transaction types
    account_type: str | None = None
    segment: str | None = None  # the customer's
    customer_id: str | None = None
    account_id: str | None = None
    side: Side = Side.ALL
    weekday: int | None = None  # ISO: 1 Monday .. 7 Sunday, of the entry's day
    hour: int | None = None  # 0-23: the hour posted, in the reporting time zone
    #: Only accounts that exist at the end of `last`: not closed then (their last status
    #: change on or before that day, in the reporting time zone, is not `closed`). Needs
    #: `last` (without it, no account is left out).
    open_at_end: bool = False
    #: Only customers whose signup day (reporting time zone) lies in this range.
    signed_up_from: date | None = None
    signed_up_to: date | None = None
    #: Only entries from the customer's signup day up to their own k-month anniversary
    #: (signup day plus k calendar months; a day the month lacks is its last): in a bank,
    #: every entry of theirs on or before it.
    life_months: int | None = None


@dataclass(frozen=True, order=True)
class EntryKey:
    """An entry's place in the list's one order: posted_at, transaction_id, account_id (a
    posting touches each account once, so no two entries share a key)."""

    posted_at: datetime  # naive UTC, as the warehouse stores it
    transaction_id: str
    account_id: str


@dataclass(frozen=True)
class Entry:
    posted_at: datetime
    day: date
    transaction_id: str
    type: str
    account_id: str
    account_type: str | None
    customer_id: str | None
    segment: str | None
    amount: int  # signed: + credits the account
    currency: str

    @property
    def key(self) -> EntryKey:
        return EntryKey(self.posted_at, self.transaction_id, self.account_id)


@dataclass(frozen=True)
class EntryTotals:
    """One currency's totals over a whole filter: entries, distinct transactions, the signed
    sum, the credits and the debits (positive): amount == credits - debits."""

    currency: str
    entries: int
    transactions: int
    amount: int
    credits: int
    debits: int

    def of(self, measure: Measure) -> int:
        return int(getattr(self, measure.value))


@dataclass(frozen=True)
class EntryPage:
    """Up to `size` entries, newest first, and whether more lie on either side."""

    entries: list[Entry]
    newer: bool
    older: bool
