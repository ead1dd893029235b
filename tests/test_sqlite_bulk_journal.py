"""A staged SQLite load appends under a rollback journal when it has the file to itself, and
under the write-ahead log when anyone else has the file open; either way the same bank, the
file back in WAL mode when the load finishes, and a load killed under the rollback journal
resumes to the same bank (store/sqlite/bulk.py, docs/synthetic.md)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bank_tables import dump
from flaskbank.passwords import FastHasher
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite.bulk import SqliteBulk
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank

OPTIONS = Options(40, 4, 21, date(2024, 5, 1), pattern_rate=20, batch_size=300)


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


@pytest.fixture
def modes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal mode each batch was written under."""
    seen: list[str] = []
    real = SqliteBulk._load
    monkeypatch.setattr(SqliteBulk, "stage_from", 1)

    def load(self: SqliteBulk, batch):  # type: ignore[no-untyped-def]
        seen.append(str(self.database.conn.execute("PRAGMA journal_mode").fetchone()[0]))
        real(self, batch)

    monkeypatch.setattr(SqliteBulk, "_load", load)
    return seen


def load(path: Path, *, reader: bool = False) -> None:
    store = SqliteStore(path)
    store.init_schema()
    other = sqlite3.connect(path) if reader else None  # someone else with the file open
    if other is not None:
        other.execute("PRAGMA journal_mode=WAL")
        assert other.execute("SELECT count(*) FROM users").fetchone() == (0,)
    try:
        load_bank(store, OPTIONS, LOCKED, apart=False)
        assert verify(Bank(store, FastHasher())).problems == []
    finally:
        if other is not None:
            other.close()
        store.close()


def test_a_staged_load_alone_appends_under_a_rollback_journal_and_ends_in_wal(tmp_path, modes):
    load(tmp_path / "alone.db")
    assert len(modes) > 3 and set(modes) == {"truncate"}
    assert journal_mode(tmp_path / "alone.db") == "wal"
    modes.clear()
    load(tmp_path / "shared.db", reader=True)
    assert len(modes) > 3 and set(modes) == {"wal"}  # nothing waited for the reader
    assert dump(tmp_path / "alone.db") == dump(tmp_path / "shared.db")


def test_a_load_stopped_under_the_rollback_journal_resumes_to_the_same_bank(tmp_path, modes):
    load(tmp_path / "whole.db")
    real = SqliteBulk._load

    def killed_in_batch_three(self: SqliteBulk, batch):  # type: ignore[no-untyped-def]
        if batch.number == 3:
            raise KeyboardInterrupt  # a Ctrl-C between batches, three of them in
        real(self, batch)

    store = SqliteStore(tmp_path / "killed.db")
    store.init_schema()
    SqliteBulk._load = killed_in_batch_three  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            load_bank(store, OPTIONS, LOCKED, apart=False)
    finally:
        SqliteBulk._load = real  # type: ignore[method-assign]
    store.close()
    assert modes[-1] == "truncate"
    assert SqliteStore(tmp_path / "killed.db").bulk.unfinished_loads() == [OPTIONS.load_id]
    load(tmp_path / "killed.db")
    assert journal_mode(tmp_path / "killed.db") == "wal"
    assert dump(tmp_path / "killed.db") == dump(tmp_path / "whole.db")
