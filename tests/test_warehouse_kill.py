"""A sync killed with SIGKILL in the middle of a batch (its rows written, not committed),
then resumed, leaves the warehouse equal to a rebuild: on both stores, in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import new_customer, store_url
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from warehouse_support import contents, warehouse_in

# Syncs in batches of 3 events; in the third batch, once its entries are written inside the
# open DuckDB transaction, says so and waits to be killed.
SYNC_UNTIL_KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flaskbank.services.analytics import feed
    from flaskbank.store import open_store
    from flaskbank.warehouse.duck import DuckWarehouse, warehouse as duck

    real, calls = duck.load, []

    def load_then_wait(con, events, timezone):
        real(con, events, timezone)
        calls.append(1)
        if len(calls) == 3:
            print("inside the third batch", flush=True)
            time.sleep(60)

    duck.load = load_then_wait
    feed.sync(open_store(sys.argv[1]), DuckWarehouse(Path(sys.argv[2])), limit=3)
    """
)


@pytest.mark.slow
def test_a_sync_killed_mid_batch_and_resumed_equals_a_rebuild(bank, tmp_path):
    ada = new_customer(bank, deposit="50.00")
    for i in range(10):
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"1.0{i}")
    path = tmp_path / "killed" / "warehouse.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-c", SYNC_UNTIL_KILLED, store_url(bank.store), str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "inside the third batch"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    killed = warehouse_in(tmp_path / "killed")
    with killed.writing() as writer:  # what survived: the two committed batches only
        assert writer.as_of().events == 6
    feed.sync(bank.store, killed, limit=3)
    rebuilt = warehouse_in(tmp_path / "rebuilt")
    feed.sync(bank.store, rebuilt, fresh=True)
    assert contents(killed) == contents(rebuilt)
    total = sum(e[4] for e in contents(rebuilt)["entries"])
    assert total == 5000 + sum(100 + i for i in range(10))


@pytest.mark.slow
def test_reports_in_this_process_while_another_process_syncs(bank, tmp_path):
    """The writer is another process (DuckDB's file lock is per process): reports here read
    the published copy while it holds the other one open for writing."""
    from flaskbank.domain.accounts import Role, User
    from warehouse_support import parse, run_report

    ada = new_customer(bank, deposit="50.00")
    path = tmp_path / "shared" / "warehouse.duckdb"
    warehouse = warehouse_in(tmp_path / "shared")
    feed.sync(bank.store, warehouse)
    for i in range(10):
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"1.0{i}")
    child = subprocess.Popen(
        [sys.executable, "-c", SYNC_UNTIL_KILLED, store_url(bank.store), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "inside the third batch"
        manager = User("m", "m@bank.example", "M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")
        asked = parse("deposit_growth", "2000-01-01", "2100-12-31", "year")
        for _ in range(5):
            report = run_report(warehouse, manager, "deposit_growth", asked)
            assert report.rows[-1]["closing_balance"] == "50.00"  # the last published state
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
