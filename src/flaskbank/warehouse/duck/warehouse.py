"""DuckWarehouse: sessions of the one writer and of readers over the two copies (files.py).

Connections are opened per session and closed at its end: a DuckDB file stays locked as
long as a connection to it is open, and the writer needs the back copy free in turn.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import duckdb

from ..base import AsOf, DayFlow, Facts, Measure, Measured, WarehouseError, WarehouseStale
from . import measures
from .files import PAUSE, WAIT_SECONDS, Copies, remove
from .schema import TABLES

#: After a session that applied more events than this, the other copy is dropped and copied
#: from this one next time, rather than read again from the feed.
COPY_OVER = 20_000
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
                _create_tables(con)
                _settle_timezone(con, self.timezone)
                writer = DuckWriter(con, self.timezone)
                yield writer
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if writer.applied or fresh or self.copies.front() is None:
                self.copies.publish(name)
            if writer.applied > COPY_OVER or fresh:
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


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables this code reads and writes; a summary table that a warehouse built by an
    earlier release lacks is filled from the entries it already holds, in the same
    transaction that makes it (so no batch lands between)."""
    have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.begin()
    try:
        con.execute(TABLES)
        if have and "daily_groups" not in have:
            _summarise(con, "entries e LEFT JOIN accounts a USING (account_id)")
        con.commit()
    except BaseException:
        con.rollback()
        raise


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

    def measure(self, asked: Measure) -> list[Measured]:
        return measures.measure(self.con, asked)


class DuckWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection, timezone: str) -> None:
        self.con = con
        self.timezone = timezone
        self.applied = 0

    def as_of(self) -> AsOf:
        return _as_of(self.con)

    def apply(self, facts: Facts, *, after: str | None, reaches: str) -> None:
        con = self.con
        con.begin()
        try:
            if _as_of(con).position != after:
                raise WarehouseStale("the warehouse's checkpoint moved")
            _load(con, facts, self.timezone)
            con.execute(
                "UPDATE feed SET position = ?, last_event_at = ?, events = events + ? WHERE id = 1",
                [reaches, facts.last_at, facts.events],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self.applied += facts.events


def _columns(rows: Sequence[tuple[object, ...]]) -> list[list[object]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _unnest(count: int) -> str:
    return ", ".join(f"unnest(${i + 1})" for i in range(count))


def _load(con: duckdb.DuckDBPyConnection, facts: Facts, timezone: str) -> None:
    """One batch's rows, column-wise (one statement per table, not one per row). Customers
    and accounts first: the batch's entries look up their owner in accounts."""
    if facts.customers:
        con.execute(
            "INSERT INTO customers SELECT unnest($1), unnest($2), unnest($3)::TIMESTAMP,"
            " nullif(unnest($4), '')",
            _columns(facts.customers),
        )
    if facts.accounts:
        con.execute(
            "INSERT INTO accounts SELECT unnest($1), unnest($2), unnest($3), unnest($4),"
            " unnest($5)::TIMESTAMP, 'open'",
            _columns(facts.accounts),
        )
    if facts.statuses:
        con.execute(
            f"INSERT INTO status_changes SELECT {_unnest(2)}, unnest($3)::TIMESTAMP",
            _columns(facts.statuses),
        )
        # The latest change in the batch wins (the feed is in order; arg_max keeps it).
        con.execute(
            "UPDATE accounts SET status = s.status FROM (SELECT account_id,"
            " arg_max(status, changed_at) AS status FROM (SELECT unnest($1) AS account_id,"
            " unnest($2) AS status, unnest($3)::TIMESTAMP AS changed_at) GROUP BY account_id)"
            " AS s WHERE accounts.account_id = s.account_id",
            _columns(facts.statuses),
        )
    if facts.holds:
        con.execute(
            f"INSERT INTO hold_events SELECT {_unnest(5)}, unnest($6)::TIMESTAMP",
            _columns(facts.holds),
        )
    if facts.entry_transaction:
        _load_entries(con, facts, timezone)


def _load_entries(con: duckdb.DuckDBPyConnection, facts: Facts, timezone: str) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE batch AS SELECT *,"
        " timezone($7, timezone('UTC', posted_at))::DATE AS day FROM (SELECT"
        " unnest($1) AS transaction_id, unnest($2) AS account_id, unnest($3) AS type,"
        " unnest($4)::BIGINT AS amount, unnest($5) AS currency,"
        " unnest($6)::TIMESTAMP AS posted_at)",
        [
            facts.entry_transaction,
            facts.entry_account,
            facts.entry_type,
            facts.entry_amount,
            facts.entry_currency,
            facts.entry_at,
            timezone,
        ],
    )
    con.execute(
        "INSERT INTO entries SELECT b.transaction_id, b.account_id, a.user_id, b.type,"
        " b.amount, b.currency, b.posted_at, b.day FROM batch b"
        " LEFT JOIN (SELECT account_id, user_id FROM accounts WHERE account_id IN"
        " (SELECT account_id FROM batch)) a USING (account_id)"
    )
    con.execute(
        "INSERT INTO daily_totals SELECT day, currency,"
        " coalesce(sum(amount) FILTER (type = 'deposit'), 0),"
        " coalesce(-sum(amount) FILTER (type = 'withdrawal'), 0),"
        " sum(amount), count(*) FROM batch GROUP BY ALL"
        " ON CONFLICT (day, currency) DO UPDATE SET"
        " deposits = deposits + excluded.deposits,"
        " withdrawals = withdrawals + excluded.withdrawals,"
        " net = net + excluded.net, entries = entries + excluded.entries"
    )
    _summarise(
        con,
        "batch e LEFT JOIN (SELECT account_id, user_id, type FROM accounts WHERE account_id IN"
        " (SELECT account_id FROM batch)) a USING (account_id)",
    )
    con.execute("DROP TABLE batch")


def _summarise(con: duckdb.DuckDBPyConnection, entries: str) -> None:
    """Add `entries` (aliased e, joined to their accounts as a) into daily_groups and their
    transfers into daily_pairs. Both sides of a transfer come in one event, so in one batch."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cells AS SELECT e.transaction_id, e.day, e.currency,"
        " e.type, e.amount, coalesce(a.type, 'unknown') AS account_type,"
        f" coalesce(c.segment, 'unknown') AS segment FROM {entries}"
        " LEFT JOIN customers c ON c.user_id = a.user_id"
    )
    con.execute(
        "INSERT INTO daily_groups SELECT day, currency, account_type, segment, type,"
        " sum(amount), count(*) FROM cells GROUP BY ALL"
        " ON CONFLICT (day, currency, account_type, segment, type) DO UPDATE SET"
        " amount = amount + excluded.amount, entries = entries + excluded.entries"
    )
    con.execute(
        "INSERT INTO daily_pairs SELECT d.day, d.currency, d.account_type, d.segment,"
        " c.account_type, c.segment, count(*) FROM cells d JOIN cells c"
        " ON c.transaction_id = d.transaction_id AND c.amount > 0"
        " WHERE d.type = 'transfer' AND d.amount < 0 GROUP BY ALL"
        " ON CONFLICT (day, currency, account_type, segment, to_account_type, to_segment)"
        " DO UPDATE SET transfers = transfers + excluded.transfers"
    )
    con.execute("DROP TABLE cells")
