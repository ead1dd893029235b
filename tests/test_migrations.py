"""Schema versions: the numbered steps (store/migrations.py) and how the embedded store runs
them (store/sqlite/migrations.py): a new database is made at the latest version, an older one
is migrated in place under the write lock, twice is a no-op, and a newer one is refused."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flaskbank.cli import main
from flaskbank.store.migrations import (
    SchemaBehind,
    SchemaReport,
    SchemaTooNew,
    Steps,
)
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite import migrations as sqlite_migrations

LATEST = sqlite_migrations.STEPS.latest
FIXTURE = Path(__file__).parent / "fixtures" / "v1.sqlite"


# -- the framework ---------------------------------------------------------------------------
def _steps(*versions: int) -> Steps[list[int]]:
    steps: Steps[list[int]] = Steps()
    for v in versions:

        def apply(done: list[int], v: int = v) -> None:
            """Note that it ran."""
            done.append(v)

        steps.add(v)(apply)
    return steps


def test_steps_run_in_order_from_the_stores_version():
    steps = _steps(4, 2, 3)
    assert steps.latest == 4
    assert [s.version for s in steps.after(1)] == [2, 3, 4]
    assert [s.version for s in steps.after(3)] == [4]
    assert steps.after(4) == []
    assert steps.after(2)[0].summary == "Note that it ran."


def test_a_store_newer_than_the_code_is_refused_with_both_versions():
    with pytest.raises(SchemaTooNew, match="schema version 7, newer than this code knows \\(3\\)"):
        _steps(2, 3).after(7)


@pytest.mark.parametrize("version", [0, 1, 2])
def test_a_step_needs_a_fresh_number_above_1(version):
    with pytest.raises(ValueError, match="taken or below 2"):
        _steps(2).add(version)(lambda _: None)


def test_a_step_needs_a_docstring():
    with pytest.raises(ValueError, match="needs a docstring"):
        _steps().add(2)(lambda _: None)


def test_a_gap_in_the_numbers_is_a_mistake_of_ours():
    with pytest.raises(AssertionError, match=r"migrations \[3\] are missing"):
        _steps(2, 4).after(1)


def test_check_names_what_to_do():
    steps = _steps(2, 3)
    steps.check(3)
    for version, says in [(None, "has no tables"), (1, "is at schema version 1"), (2, "at .* 2")]:
        with pytest.raises(SchemaBehind, match=f"{says}.*needs version 3.*flaskbank init"):
            steps.check(version)
    with pytest.raises(SchemaTooNew):
        steps.check(4)


@pytest.mark.parametrize(
    "report, says",
    [
        (SchemaReport(5, created=True), "schema created at version 5"),
        (SchemaReport(5), "already at version 5"),
        (SchemaReport(5, (5,)), "schema at version 5; applied migration 5"),
        (SchemaReport(5, (2, 3, 4, 5)), "schema at version 5; applied migrations 2..5"),
        (SchemaReport(5, (2, 4, 5)), "schema at version 5; applied migrations 2, 4..5"),
    ],
)
def test_what_init_reports(report, says):
    assert str(report) == says


# -- SQLite ------------------------------------------------------------------------------------
def shape(path: Path) -> dict[str, object]:
    """Every table's columns, every index's columns and every trigger of a database file."""
    with sqlite3.connect(path) as db:
        objects = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        found: dict[str, object] = {}
        for kind, name, table, sql in objects:
            if kind == "table":
                found[name] = sorted(
                    tuple(r[1:]) for r in db.execute(f"PRAGMA table_info({name})").fetchall()
                )
            elif kind == "index":
                columns = [r[2] for r in db.execute(f"PRAGMA index_info({name})")]
                found[name] = (table, columns, sql)
            else:
                found[name] = " ".join(sql.split())
    db.close()
    return found


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = {
            t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}")), key=repr)  # noqa: S608
            for t in tables
            if t not in ("schema_migrations", "sqlite_sequence")
        }
    db.close()
    return found


def versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        found = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    db.close()
    return found


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """A copy of the database 48183d6 made (tests/fixtures/make_v1_fixture.py)."""
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURE, path)
    return path


def init(path: Path) -> SchemaReport:
    store = SqliteStore(path)
    try:
        return store.init_schema()
    finally:
        store.close()


def test_a_new_database_is_made_at_the_latest_version_and_a_second_init_does_nothing(tmp_path):
    path = tmp_path / "new.db"
    assert init(path) == SchemaReport(LATEST, created=True)
    assert init(path) == SchemaReport(LATEST)
    assert versions(path) == [LATEST]


def test_the_v1_fixture_is_migrated_in_place_with_nothing_lost(v1, tmp_path):
    before = rows(v1)
    assert init(v1) == SchemaReport(LATEST, tuple(range(2, LATEST + 1)))
    assert versions(v1) == list(range(2, LATEST + 1))
    after = rows(v1)
    for table, old in before.items():  # every row kept; added columns come after the old ones
        assert [row[: len(old[0])] for row in after[table]] == old if old else after[table] == []
    assert all(after[t] == [] for t in set(after) - set(before))  # new tables start empty
    assert init(v1) == SchemaReport(LATEST)


def test_a_migrated_database_has_exactly_the_shape_of_a_new_one(v1, tmp_path):
    """schema.sql and the steps say the same: a step forgotten (or a schema.sql change
    without one) shows up here as a column, index or trigger on one side only."""
    init(v1)
    init(tmp_path / "new.db")
    assert shape(v1) == shape(tmp_path / "new.db")


DROPPED = [
    ("users", "version"),
    ("users", "security_stamp"),
    ("api_tokens", "stamp"),
    ("web_sessions", "version"),
    ("idempotency_keys", "refusal"),
]


def test_a_database_from_before_0494fe9_gets_the_columns_that_came_with_it(v1, tmp_path):
    with sqlite3.connect(v1) as db:
        for table, column in DROPPED:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.close()
    init(v1)
    init(tmp_path / "new.db")
    assert shape(v1) == shape(tmp_path / "new.db")
    with sqlite3.connect(v1) as db:
        assert {r[0] for r in db.execute("SELECT version || security_stamp FROM users")} == {"0"}
        assert db.execute("SELECT COUNT(*) FROM idempotency_keys WHERE refusal IS NULL").fetchone()
    db.close()


def test_a_database_newer_than_the_code_is_refused_and_left_alone(v1):
    init(v1)
    with sqlite3.connect(v1) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 'now', 'from the future')", (99,))
    db.close()
    before = shape(v1), rows(v1)
    with pytest.raises(SchemaTooNew, match="version 99, newer than this code knows"):
        init(v1)
    assert (shape(v1), rows(v1)) == before


def test_a_failing_step_leaves_the_database_at_its_old_version(v1, monkeypatch):
    steps = Steps[sqlite3.Connection]()
    steps.add(2)(sqlite_migrations.records_carry_a_version)

    @steps.add(3)
    def broken(db: sqlite3.Connection) -> None:
        """Add a column, then fail."""
        db.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sqlite_migrations, "STEPS", steps)
    before = shape(v1)
    with pytest.raises(RuntimeError, match="disk on fire"):
        init(v1)
    assert shape(v1) == before  # no schema_migrations table, no nickname: still version 1


def test_two_inits_at_once_migrate_once(v1):
    """Each on its own connection, as two processes would be: BEGIN IMMEDIATE makes the
    second wait for the first, which it then finds done."""
    start = threading.Barrier(2)
    reports: list[SchemaReport] = []

    def run() -> None:
        start.wait()
        reports.append(init(v1))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, reports)) == [
        f"already at version {LATEST}",
        f"schema at version {LATEST}; applied migrations 2..{LATEST}",
    ]
    assert versions(v1) == list(range(2, LATEST + 1))


def test_check_schema_asks_for_init_until_it_has_run(v1):
    store = SqliteStore(v1)
    with pytest.raises(SchemaBehind, match="version 1; this code needs"):
        store.check_schema()
    store.init_schema()
    store.check_schema()
    store.close()


# -- through the command line -------------------------------------------------------------------
def run(args: list[str], path: Path) -> Result:
    env = {"FLASKBANK_STORE": f"sqlite:///{path}", "FLASKBANK_SECRET_KEY": "s" * 40}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_init_says_what_it_did(v1, tmp_path):
    assert run(["init"], tmp_path / "new.db").output.endswith(
        f"new.db: schema created at version {LATEST}\n"
    )
    first, again = run(["init"], v1), run(["init"], v1)
    assert first.output.endswith(
        f"v1.db: schema at version {LATEST}; applied migrations 2..{LATEST}\n"
    )
    assert again.output.endswith(f"v1.db: already at version {LATEST}\n")


def test_verify_and_serve_refuse_a_store_that_init_has_not_migrated(v1):
    for command in (["verify"], ["serve"]):
        result = run(command, v1)
        assert result.exit_code == 1
        assert "is at schema version 1; this code needs" in result.output
        assert "run `flaskbank init` first" in result.output


def test_init_refuses_a_newer_store_in_one_line(v1):
    init(v1)
    with sqlite3.connect(v1) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'now', 'from the future')")
    db.close()
    result = run(["init"], v1)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the store is at schema version 99")
