"""`flaskbank warehouse sync | rebuild | export` through click's runner, on an SQLite bank."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from conftest import new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.cli import main
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.services import postings
from flaskbank.store.sqlite import SqliteStore
from warehouse_support import contents, warehouse_in


def test_sync_rebuild_and_export(tmp_path, monkeypatch):
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    ada = new_customer(bank, deposit="10.00")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="2.50")
    monkeypatch.setenv("FLASKBANK_STORE", f"sqlite:///{tmp_path / 'bank.db'}")
    monkeypatch.setenv("FLASKBANK_WAREHOUSE", str(tmp_path / "w" / "warehouse.duckdb"))
    runner = CliRunner()

    synced = runner.invoke(main, ["warehouse", "sync", "--quiet"])
    assert synced.exit_code == 0, synced.output
    events = len(store.events.read(after=None, limit=1000).events)
    assert f"synced: {events} events applied" in synced.output
    again = runner.invoke(main, ["warehouse", "sync", "--quiet"])
    assert "synced: 0 events applied" in again.output
    warehouse = warehouse_in(tmp_path / "w")
    before = contents(warehouse)
    rebuilt = runner.invoke(main, ["warehouse", "rebuild", "--quiet"])
    assert rebuilt.exit_code == 0 and f"rebuilt: {events} events" in rebuilt.output
    assert contents(warehouse) == before

    exported = runner.invoke(main, ["warehouse", "export", "--to", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output
    month = list(Path(tmp_path / "out" / "entries").glob("year=*/month=*/*.parquet"))
    assert month
    amounts = (
        duckdb.connect()
        .execute(
            "SELECT sum(amount) FROM read_parquet(?)", [f"{tmp_path}/out/entries/*/*/*.parquet"]
        )
        .fetchone()
    )
    assert amounts == (750,)  # 10.00 in, 2.50 out: minor units, exactly
    assert (tmp_path / "out" / "accounts" / "accounts.parquet").exists()
    store.close()


def test_the_reporting_time_zone_is_checked_at_start():
    import pytest

    from flaskbank.config import ConfigError, from_env

    assert from_env({}, require_secret=False).report_timezone == "UTC"
    berlin = from_env({"FLASKBANK_REPORT_TIMEZONE": "Europe/Berlin"}, require_secret=False)
    assert berlin.report_timezone == "Europe/Berlin"
    with pytest.raises(ConfigError, match="FLASKBANK_REPORT_TIMEZONE"):
        from_env({"FLASKBANK_REPORT_TIMEZONE": "Mars/Olympus"}, require_secret=False)
