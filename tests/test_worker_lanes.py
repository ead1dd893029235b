"""The worker's lanes: the warehouse's job and the monitoring consumer's each run on a thread
of their own, so that a slow round of the other jobs (the consumers on DynamoDB under load)
does not hold the warehouse or the alerts back;
a lane that fails stops the whole worker, which raises what failed and gives up its leases."""

from __future__ import annotations

import threading
import time

import pytest

from flaskbank.warehouse.duck import DuckWarehouse
from flaskbank.worker import MAIN, Job, Worker, default_jobs, lease_left


def test_the_warehouse_and_monitoring_jobs_have_lanes_of_their_own(tmp_path):
    jobs = default_jobs(consumers=[], warehouse=DuckWarehouse(tmp_path / "w.duckdb"))
    lanes = {job.name: job.lane for job in jobs}
    warehouse, monitoring = lanes.pop("warehouse"), lanes.pop("consumer:monitoring")
    assert len({warehouse, monitoring, MAIN}) == 3
    assert set(lanes.values()) == {MAIN}


def test_a_slow_main_lane_does_not_hold_up_another_lane(bank):
    """The main lane's job waits, within one run, for the other lane's job to run twice: run
    one after another, as before lanes, it would wait in vain."""
    synced = []
    twice = threading.Event()

    def sync(_bank) -> int:  # type: ignore[no-untyped-def]
        synced.append(time.monotonic())
        if len(synced) >= 2:
            twice.set()
        return 1

    waited = []

    def slow(_bank) -> int:  # type: ignore[no-untyped-def]
        waited.append(twice.wait(10))
        worker.stop.set()
        return 1

    worker = Worker(
        bank, [Job("slow", 0.0, slow), Job("sync", 0.0, sync, lane="warehouse")], lease_seconds=30
    )
    worker.run_forever(time.monotonic, tick_seconds=0.05)
    assert waited == [True] and len(synced) >= 2
    assert lease_left(bank, "slow") is None and lease_left(bank, "sync") is None  # given up


def test_a_lane_that_fails_stops_the_worker_and_raises(bank):
    ran = threading.Event()

    def steady(_bank) -> int:  # type: ignore[no-untyped-def]
        ran.set()
        return 0

    def broken(_bank) -> int:  # type: ignore[no-untyped-def]
        ran.wait(10)
        raise RuntimeError("the warehouse file is corrupt")

    worker = Worker(bank, [Job("steady", 0.0, steady), Job("sync", 0.0, broken, lane="warehouse")])
    finished = threading.Event()

    def run() -> None:
        with pytest.raises(RuntimeError, match="corrupt"):
            worker.run_forever(time.monotonic, tick_seconds=0.05)
        finished.set()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(20)
    assert finished.is_set() and worker.stop.is_set()
    assert lease_left(bank, "steady") is None and lease_left(bank, "sync") is None
