"""The SQLite file behind every port: one connection per thread, each write its own
BEGIN IMMEDIATE transaction, or a savepoint of the unit of work open on the thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...domain.errors import StoreError, WriteConflict
from ...domain.search import HistorySearch
from ..migrations import SchemaReport
from . import migrations

BUSY_TIMEOUT_MS = 10_000
#: The SQL function a history search filters with: the domain's rule (HistorySearch.matches),
#: so that SQLite matches text exactly as DynamoDB does (SQLite's LIKE folds ASCII only).
MATCHES = "history_matches"
FAILED = "the embedded store failed; nothing was written"
#: RETURNING (3.35) moves a balance and reads it in one statement.
MIN_SQLITE = (3, 35, 0)


def check_sqlite_version(found: tuple[int, int, int] = sqlite3.sqlite_version_info) -> None:
    if found < MIN_SQLITE:
        raise StoreError(
            f"the embedded store needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this "
            f"Python has {'.'.join(map(str, found))}"
        )


def _history_matches(
    counterparty: str, memo: str, amount_minor: int, text: str, low: int | None, high: int | None
) -> bool:
    return HistorySearch(text, low, high).matches(counterparty, memo, amount_minor)


class SqliteDatabase:
    def __init__(self, path: str | Path) -> None:
        check_sqlite_version()
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.create_function(MATCHES, 6, _history_matches, deterministic=True)
            self.local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def begin(self) -> sqlite3.Connection:
        db = self.conn
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):  # still locked after the busy timeout
                raise WriteConflict("the ledger is busy; try again") from e
            raise StoreError(FAILED) from e
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: its own transaction, or inside a unit of work a savepoint of it
        (so that a refused step leaves the unit's other steps as they were)."""
        if getattr(self.local, "unit", None) is not None:
            db = self.conn
            db.execute("SAVEPOINT step")
            try:
                yield db
                db.execute("RELEASE step")
            except BaseException as e:
                db.execute("ROLLBACK TO step")
                db.execute("RELEASE step")
                if isinstance(e, sqlite3.OperationalError):
                    raise StoreError(FAILED) from e
                raise
            return
        db = self.begin()
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):  # disk full, I/O error, corruption
                raise StoreError(FAILED) from e
            raise

    def init_schema(self) -> SchemaReport:
        """Make or migrate the schema (migrations.py), holding the write lock throughout, so
        that a second `init` at the same time waits and then finds nothing to do."""
        db = self.begin()
        try:
            report = migrations.migrate(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return report

    def check_schema(self) -> None:
        migrations.STEPS.check(migrations.current_version(self.conn))

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self.local = threading.local()


class SqliteUnitOfWork:
    """One BEGIN IMMEDIATE transaction around every write the use case makes on this
    thread's connection; rolled back unless commit() was called."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteUnitOfWork:
        if getattr(self._database.local, "unit", None) is not None:
            raise RuntimeError("a unit of work is already open on this thread")
        self._db = self._database.begin()
        self._database.local.unit = self
        return self

    def commit(self) -> None:
        if self._db is None:
            raise RuntimeError("commit() outside the with block")
        try:
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as e:
            raise StoreError(FAILED) from e
        finally:
            self._database.local.unit = None

    def __exit__(self, *exc: object) -> None:
        self._database.local.unit = None
        if self._db is not None and self._db.in_transaction:
            self._db.execute("ROLLBACK")
