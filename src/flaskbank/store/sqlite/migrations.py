"""The embedded store's schema versions, and the steps from each to the next.

`flaskbank init` (SqliteDatabase.init_schema) runs `migrate` in one BEGIN IMMEDIATE
transaction: it holds the database's write lock from the first read of the version to the
commit, so a second `init` started meanwhile (another process, another thread) waits for
it and then finds nothing left to do; and a step that fails leaves the database as it was,
at its old version (SQLite's DDL is transactional). The version is the highest row of
`schema_migrations`, which also says when each step ran.

- No tables: a new database. It is made from schema.sql, the latest shape, and stamped with
  the latest version; replaying every step instead would make a new database the slow way
  and hide today's shape behind a history of changes.
- Tables but no `schema_migrations`: made before versions were recorded: version 1.
- Otherwise the steps after its version run in order, each stamped as it completes.

Adding a step (a table, a column, an index, a change of data):

1. change schema.sql, the shape a new database is made in;
2. add a function at the end of this module, decorated `@STEPS.add(N)` with N one more than
   the last step's, that takes the connection and makes the same change to an existing
   database; its docstring says what it changes and why (the first line is what `init`
   records). It runs inside the transaction: use `db.execute`, never `executescript` (which
   commits first) or COMMIT;
3. run tests/test_migrations.py: it checks that a database migrated from the v1 fixture has
   exactly the tables, columns, indexes and triggers that a new one has.

Two engineers adding step N at once get a merge conflict here; the second renumbers.
Steps 2 to 4 look before they alter, because a version 1 database may be of any age (the
columns came with 0494fe9, and databases made since have them already); a step after them
knows exactly what the version before it looks like.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources

from ..migrations import UNVERSIONED, SchemaReport, Steps

STEPS: Steps[sqlite3.Connection] = Steps()


def migrate(db: sqlite3.Connection) -> SchemaReport:
    """Bring the database to the latest version; `db` is inside BEGIN IMMEDIATE."""
    version = current_version(db)
    if version is None:
        for statement in _statements(
            resources.files(__package__).joinpath("schema.sql").read_text()
        ):
            db.execute(statement)
        _stamp(db, STEPS.latest, "made from schema.sql")
        return SchemaReport(STEPS.latest, created=True)
    steps = STEPS.after(version)  # refuses a database newer than this code
    for step in steps:
        step.apply(db)
        _stamp(db, step.version, step.summary)
    return SchemaReport(STEPS.latest, tuple(s.version for s in steps))


def current_version(db: sqlite3.Connection) -> int | None:
    """The database's version; None when it has no tables yet."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_migrations" in tables:
        return int(db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0])
    return UNVERSIONED if "users" in tables else None


def _stamp(db: sqlite3.Connection, version: int, summary: str) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, summary TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
        (version, datetime.now(UTC).isoformat(timespec="seconds"), summary),
    )


def _statements(text: str) -> Iterator[str]:
    """schema.sql one statement at a time (a trigger's body holds semicolons of its own)."""
    pending = ""
    for line in text.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip(" \n-"):
        raise ValueError(f"schema.sql ends inside a statement: {pending!r}")


def _add_column(db: sqlite3.Connection, table: str, column: str, spec: str) -> None:
    """ALTER TABLE ADD COLUMN, unless the table has that column already."""
    if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {spec}")


@STEPS.add(2)
def records_carry_a_version(db: sqlite3.Connection) -> None:
    """Users and browser sessions carry a version (0 for those made before), so that every
    write to them can be conditional on the version read and concurrent requests never undo
    each other (0494fe9)."""
    _add_column(db, "users", "version", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "web_sessions", "version", "INTEGER NOT NULL DEFAULT 0")


@STEPS.add(3)
def security_stamps(db: sqlite3.Connection) -> None:
    """Users carry a security stamp and API tokens the stamp they were issued under (empty
    for those made before, which still match), so that changing the stamp ends every token
    and session at once (0494fe9)."""
    _add_column(db, "users", "security_stamp", "TEXT NOT NULL DEFAULT ''")
    _add_column(db, "api_tokens", "stamp", "TEXT NOT NULL DEFAULT ''")


@STEPS.add(4)
def refusals_kept_with_idempotency_keys(db: sqlite3.Connection) -> None:
    """An idempotency key keeps the refusal its request met (NULL for a posting), so that a
    retry is refused alike instead of judged again (0494fe9)."""
    _add_column(db, "idempotency_keys", "refusal", "TEXT")
