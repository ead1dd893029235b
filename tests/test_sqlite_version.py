"""The embedded store refuses an SQLite too old for its statements with a message saying
which version it needs, instead of failing at the first posting."""

from __future__ import annotations

import pytest

from flaskbank.domain.errors import StoreError
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite import database as sqlite_database


def test_an_sqlite_without_returning_is_refused_by_name():
    with pytest.raises(
        StoreError, match=r"needs SQLite 3\.35\.0 or newer; this Python has 3\.34\.1"
    ):
        sqlite_database.check_sqlite_version((3, 34, 1))
    sqlite_database.check_sqlite_version((3, 35, 0))


def test_a_store_is_not_opened_on_a_too_old_sqlite(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_database, "MIN_SQLITE", (99, 0, 0))
    with pytest.raises(StoreError, match="needs SQLite 99.0.0"):
        SqliteStore(tmp_path / "bank.db")
    assert not (tmp_path / "bank.db").exists()
