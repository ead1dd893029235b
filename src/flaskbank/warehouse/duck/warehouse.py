"""DuckWarehouse: sessions of the one writer and of readers over the two copies (files.py).

Connections are opened per session and closed at its end: a DuckDB file stays locked as
long as a connection to it is open, and the writer needs the back copy free in turn.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import duckdb

from ...domain.compliance import CashDeposit
from ...domain.events import StoredEvent
from ..base import (
    SPELL_GAP_DAYS,
    AsOf,
    BalanceGroup,
    BalanceMagnitude,
    CashDay,
    CohortDay,
    CustomerBalance,
    CustomerFlow,
    DayFlow,
    Measure,
    Measured,
    RecencyAt,
    SignupDay,
    Volume,
    WarehouseError,
    WarehouseStale,
)
from ..customers import CustomerFilter, CustomerKey, CustomerPage
from ..entries import EntryFilter, EntryKey, EntryPage, EntryTotals
from . import acquisition, balances, compliance, customers, entries, measures
from .balances import kept_through
from .closings import close_days
from .files import PAUSE, WAIT_SECONDS, Copies, remove
from .load import load, prepare
from .recency import recency
from .schema import TABLES, VERSION

#: After a session that applied more events than this, the other copy is dropped and copied
#: from this one next time, rather than read again from the feed.
COPY_OVER = 20_000
#: After a session that kept the closing balances of more days than this (a rebuild's, kept
#: once it is published), likewise: the other copy would compute them all again, and until
#: then be published with only a month more of them at each of the worker's runs.
CLOSED_OVER = 31
#: The writer's log size before DuckDB checkpoints on its own (the writing session always
#: ends with one).
CHECKPOINT_AFTER = "1GB"
#: DuckDB's errors when a file is locked by another process or open differently in this one.
_BUSY = (duckdb.IOException, duckdb.ConnectionException)


class DuckWarehouse:
    def __init__(self, path: Path, *, timezone: str = "UTC") -> None:
        self.copies = Copies(Path(path))
        self.timezone = timezone

    @contextlib.contextmanager
    def writing(self, *, fresh: bool = False) -> Iterator[DuckWriter]:
        with self.copies.writer_lock():
            name = self.copies.back()
            path = self.copies.seed_back(fresh=fresh)
            con = _connect(path, read_only=False, wait=WAIT_SECONDS)
            try:
                # DuckDB checkpoints after each 16 MB of log by default, which a batch of a
                # large sync passes: once, at the end (below), is enough, and cheaper.
                con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_AFTER}'")
                con.execute(TABLES)
                _settle_version(con)
                _settle_timezone(con, self.timezone)
                prepare(con)
                writer = DuckWriter(con, self.timezone)
                yield writer
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if writer.applied or writer.closed or fresh or self.copies.front() is None:
                self.copies.publish(name)
            if writer.applied > COPY_OVER or writer.closed > CLOSED_OVER or fresh:
                remove(self.copies.copy("b" if name == "a" else "a"))

    @contextlib.contextmanager
    def reading(self) -> Iterator[DuckReader]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            front = self.copies.front()
            if front is None:  # never synced: an empty warehouse
                con = duckdb.connect(":memory:")
                con.execute(TABLES)
                break
            try:
                con = duckdb.connect(str(self.copies.copy(front)), read_only=True)
                break
            except _BUSY as e:  # the writer took it just after a switch: read the pointer again
                if time.monotonic() > deadline:
                    raise WarehouseError(f"the warehouse could not be opened: {e}") from None
                time.sleep(PAUSE)
        try:
            _check_version(con)
            yield DuckReader(con)
        finally:
            con.close()

    def export(self, to: Path) -> list[Path]:
        from .export import export

        with self.reading() as reader:
            return export(reader.con, to)


def _connect(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except _BUSY as e:
            if time.monotonic() > deadline:
                raise WarehouseError(f"the warehouse is busy: {e}") from None
            time.sleep(PAUSE)


def _check_version(con: duckdb.DuckDBPyConnection) -> None:
    """A reader on a warehouse an older version built (after an upgrade, until it is
    rebuilt) would meet missing tables and columns: it is told so instead."""
    row = con.execute("SELECT schema_version, events FROM feed WHERE id = 1").fetchone()
    if row is not None and row[1] and row[0] != VERSION:
        raise WarehouseError(
            f"the warehouse was built by schema version {row[0]}, this is {VERSION}: "
            "run `flaskbank warehouse rebuild`"
        )


def _settle_version(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse built by an older schema lacks what later tables would have counted from
    its events: an empty one takes this version; a built one must be rebuilt first."""
    row = con.execute("SELECT schema_version, events FROM feed WHERE id = 1").fetchone()
    built, events = row if row is not None else (VERSION, 0)
    if events == 0:
        con.execute("UPDATE feed SET schema_version = ? WHERE id = 1", [VERSION])
    elif built != VERSION:
        raise WarehouseError(
            f"the warehouse was built by schema version {built}, this is {VERSION}: "
            "run `flaskbank warehouse rebuild`"
        )


def _settle_timezone(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Days are counted in one zone for the warehouse's whole life: an empty warehouse takes
    the configured one; a built one in another zone must be rebuilt first."""
    row = con.execute("SELECT timezone, events FROM feed WHERE id = 1").fetchone()
    built, events = row if row is not None else (None, 0)
    if built is None or events == 0:
        con.execute("UPDATE feed SET timezone = ? WHERE id = 1", [timezone])
    elif built != timezone:
        raise WarehouseError(
            f"the warehouse counts days in {built}, the setting says {timezone}: "
            "run `flaskbank warehouse rebuild`"
        )


def _as_of(con: duckdb.DuckDBPyConnection) -> AsOf:
    row = con.execute("SELECT position, last_event_at, events FROM feed WHERE id = 1").fetchone()
    if row is None:
        return AsOf(None, "", 0)
    return AsOf(row[0], row[1], row[2])


class DuckReader:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def as_of(self) -> AsOf:
        return _as_of(self.con)

    def day_flows(self, until: date) -> list[DayFlow]:
        rows = self.con.execute(
            "SELECT day, currency, deposits, withdrawals, net FROM daily_totals"
            " WHERE day <= ? ORDER BY day, currency",
            [until],
        ).fetchall()
        return [DayFlow(*row) for row in rows]

    def signup_days(self, until: date) -> list[SignupDay]:
        return acquisition.signup_days(self.con, until)

    def cohort_days(self, first: date, last: date, months: Sequence[int]) -> list[CohortDay]:
        return acquisition.cohort_days(self.con, first, last, months)

    def last_day(self) -> date | None:
        return acquisition.last_day(self.con)

    def currencies(self) -> list[str]:
        return acquisition.currencies(self.con)

    def daily_volume(self, first: date, last: date) -> list[Volume]:
        rows = self.con.execute(
            "SELECT day, type, currency, sum(transactions), sum(amount) FROM hourly_volume"
            " WHERE day BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL",
            [first, last],
        ).fetchall()
        return [Volume(day, None, t, c, int(n), int(a)) for day, t, c, n, a in rows]

    def hourly_volume(self, first: date, last: date) -> list[Volume]:
        rows = self.con.execute(
            "SELECT hour, type, currency, sum(transactions), sum(amount) FROM hourly_volume"
            " WHERE day BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL",
            [first, last],
        ).fetchall()
        return [Volume(None, h, t, c, int(n), int(a)) for h, t, c, n, a in rows]

    def recency(self, days: Sequence[date], *, short: int, long: int) -> list[RecencyAt]:
        if not SPELL_GAP_DAYS <= short <= long:
            raise ValueError(f"windows must be at least {SPELL_GAP_DAYS} days, short <= long")
        return recency(self.con, days, short, long)

    def balance_groups(
        self, days: Sequence[date], *, account_type: str | None, segment: str | None
    ) -> list[BalanceGroup]:
        return balances.balance_groups(self.con, days, account_type, segment)

    def balance_magnitudes(
        self, day: date, *, account_type: str | None, segment: str | None
    ) -> list[BalanceMagnitude]:
        return balances.balance_magnitudes(self.con, day, account_type, segment)

    def top_balances(self, day: date, limit: int) -> list[CustomerBalance]:
        return balances.top_balances(self.con, day, limit)

    def top_flows(self, first: date, last: date, limit: int) -> list[CustomerFlow]:
        return balances.top_flows(self.con, first, last, limit)

    def measure(self, asked: Measure) -> list[Measured]:
        return measures.measure(self.con, asked)

    def entry_totals(self, where: EntryFilter) -> list[EntryTotals]:
        return entries.totals(self.con, where)

    def entry_page(
        self, where: EntryFilter, *, older: EntryKey | None, newer: EntryKey | None, size: int
    ) -> EntryPage:
        return entries.page(self.con, where, older=older, newer=newer, size=size)

    def cash_days(self, first: date, last: date, over: Mapping[str, int]) -> list[CashDay]:
        return compliance.cash_days(self.con, first, last, over)

    def cash_deposits(
        self, first: date, last: date, low: Mapping[str, int], high: Mapping[str, int]
    ) -> list[CashDeposit]:
        return compliance.cash_deposits(self.con, first, last, low, high)

    def customer_count(self, where: CustomerFilter) -> int:
        return customers.count(self.con, where)

    def customer_page(
        self,
        where: CustomerFilter,
        *,
        older: CustomerKey | None,
        newer: CustomerKey | None,
        size: int,
    ) -> CustomerPage:
        return customers.page(self.con, where, older=older, newer=newer, size=size)


class DuckWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection, timezone: str) -> None:
        self.con = con
        self.timezone = timezone
        self.applied = 0
        self.closed = 0  # days added to closing_days
        # The days kept when the session began are over whatever its batches bring.
        self.kept = kept_through(con)

    def as_of(self) -> AsOf:
        return _as_of(self.con)

    def apply(self, events: Sequence[StoredEvent], *, after: str | None, reaches: str) -> None:
        con = self.con
        con.begin()
        try:
            if _as_of(con).position != after:
                raise WarehouseStale("the warehouse's checkpoint moved")
            if events:
                load(con, events, self.timezone)
            con.execute(
                "UPDATE feed SET position = ?, last_event_at = ?, events = events + ? WHERE id = 1",
                [reaches, events[-1].at if events else _as_of(con).last_event_at, len(events)],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self.applied += len(events)

    def close_days(self, *, months: int | None = None) -> int:
        if months == 0:
            return 0
        self.con.begin()
        try:
            added = close_days(self.con, self.timezone, self.kept, months)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        self.closed += added
        return added
