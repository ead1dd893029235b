"""`flaskbank worker` from outside, as real processes on each store: it pays a standing
order that is due, a second worker waits while the first holds the job's lease, takes over
once the first is killed (SIGKILL) and its lease runs out, and SIGTERM stops a worker cleanly
with its leases given up. Nothing is paid twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import new_customer, store_url
from flaskbank.domain.ledger import new_id
from flaskbank.domain.money import Money
from flaskbank.domain.standing_orders import OrderStatus, StandingOrder
from flaskbank.services.ledger_checks import verify

JOB = "job:standing-orders"


def start_worker(store, tmp_path, name):
    env = {
        **os.environ,
        "FLASKBANK_STORE": store_url(store),
        "FLASKBANK_DATA_DIR": str(tmp_path),
    }
    with open(tmp_path / f"{name}.log", "w") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from flaskbank.cli import main; main()",
                "worker",
                "--every",
                "0.2",
                "--tick",
                "0.2",
                "--lease-seconds",
                "3",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def due_today(bank, payer, payee, amount="50.00"):
    today = bank.now()[:10]
    order = StandingOrder(
        id=new_id(),
        user_id=payer.user_id,
        from_account_id=payer.account_id,
        to_account_number=payee.account_number,
        amount=amount,
        memo="rent",
        day_of_month=min(int(today[8:]), 28),
        next_run=today,
        end_date=None,
        status=OrderStatus.ACTIVE,
        created_at=bank.now(),
    )
    bank.store.standing_orders.add_order(order)
    return order


def eventually(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_workers_share_jobs_by_lease_and_stop_cleanly(bank, store, tmp_path):
    ada, bob = new_customer(bank, deposit="500.00"), new_customer(bank, "Bob Stone")
    first = due_today(bank, ada, bob)
    one = start_worker(store, tmp_path, "one")
    two = None
    try:
        eventually(lambda: bank.store.standing_orders.runs_of(first.id, limit=5))
        holder = eventually(lambda: bank.store.leases.holder(JOB))
        two = start_worker(store, tmp_path, "two")
        time.sleep(1.5)
        assert bank.store.leases.holder(JOB)[0] == holder[0]  # the second waits its turn
        one.send_signal(signal.SIGKILL)
        one.wait(timeout=10)
        taken = eventually(lambda: (h := bank.store.leases.holder(JOB)) and h[0] != holder[0] and h)
        assert taken[0] != holder[0]
        second = due_today(bank, ada, bob, amount="25.00")
        eventually(lambda: bank.store.standing_orders.runs_of(second.id, limit=5))
        two.send_signal(signal.SIGTERM)
        assert two.wait(timeout=20) == 0
        assert bank.store.leases.holder(JOB) is None  # given up, not left to run out
    finally:
        for process in (one, two):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert bank.store.ledger.get_account(bob.account_id).balance == Money.of("75.00")
    assert bank.store.ledger.get_account(ada.account_id).balance == Money.of("425.00")
    assert verify(bank).problems == []
    log = (tmp_path / "two.log").read_text()
    assert "stopped" in log and "Traceback" not in log
