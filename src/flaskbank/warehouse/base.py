"""The warehouse port: what the analytics services need from the warehouse, in plain data.

The consumer (services/analytics/feed.py) hands a batch of events, as the feed stores them,
to a `WarehouseWriter` together with the feed checkpoint they reach; the adapter turns them
into rows and stores both in one transaction, so the warehouse's own checkpoint always says
exactly which events its rows count. Reports read through a `WarehouseReader`, which never
waits for the writer. Standard library and the domain only: the services import this
module, never the adapter's database.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from ..domain.events import StoredEvent
from .entries import EntryFilter, EntryKey, EntryPage, EntryTotals


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


class WarehouseWriter(Protocol):
    def as_of(self) -> AsOf: ...

    def apply(self, events: Sequence[StoredEvent], *, after: str | None, reaches: str) -> None:
        """Store what the events say and move the checkpoint from `after` to `reaches` in
        one transaction; WarehouseStale if the checkpoint is no longer `after`."""


class WarehouseReader(Protocol):
    def as_of(self) -> AsOf: ...

    def day_flows(self, until: date) -> list[DayFlow]:
        """Every day with movements up to and including `until`, oldest first."""

    def entry_totals(self, where: EntryFilter) -> list[EntryTotals]:
        """The totals of every entry `where` selects, one per currency (by currency)."""

    def entry_page(
        self, where: EntryFilter, *, older: EntryKey | None, newer: EntryKey | None, size: int
    ) -> EntryPage:
        """Up to `size` entries `where` selects, newest first: the newest, or those just
        older than `older`, or those just newer than `newer` (a keyset: no OFFSET)."""


class WarehousePort(Protocol):
    def writing(self, *, fresh: bool = False) -> AbstractContextManager[WarehouseWriter]:
        """The one writer's session; on a clean exit what it applied is published to readers.
        `fresh`: start from an empty warehouse (a rebuild), published only when done."""

    def reading(self) -> AbstractContextManager[WarehouseReader]:
        """A reader on the last published state: never blocked by a writer."""

    def export(self, to: Path) -> list[Path]:
        """Write the published tables as Parquet under `to`; returns the files written."""
