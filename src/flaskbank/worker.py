"""`flaskbank worker`: one long-running process for the bank's scheduled and event-driven
jobs: hold expiry, standing orders, sending the mail outbox, and each event consumer
(services/consumers.py) as a job of its own.

Leases, not luck: before each run of a job the worker takes or renews the job's lease in the
store (LeasePort: a conditional write), so two workers never run the same job at once; a
worker that is killed stops renewing, and another takes the job over once the lease runs out.
Every job is safe to repeat (hold expiry is conditional on the hold being open; a standing
order run is an idempotent posting keyed by the order and the date), so a run cut short by
SIGKILL and run again by the next worker neither loses nor doubles an effect.

Lanes: the warehouse's job runs on a thread of its own, the other jobs one after another on
the worker's main thread, so that a slow round of them never holds the warehouse back
(docs/worker.md, "Lanes").

SIGTERM or SIGINT: the job in hand (in each lane) finishes its batch, the leases are given
up (so another worker need not wait for them to run out), and the process exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

from .domain.errors import BankError
from .domain.ledger import parse_utc_iso, utc_iso
from .mail.base import Mailer
from .services import audit_trail, holds, notices, standing_orders
from .services import mail as outbox
from .services.analytics import feed
from .services.bank import Bank
from .services.consumers import Consumer, run_once
from .services.monitoring import backtests
from .services.monitoring import consumer as monitoring
from .warehouse.base import WarehouseError, WarehousePort

log = logging.getLogger("flaskbank.worker")


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between runs
    run: Callable[[Bank], int]  # does one bounded batch; returns how much it did
    #: Jobs of one lane run one after another, each lane on a thread of its own, so that a
    #: slow round of one lane never delays another's jobs (the warehouse's freshness).
    lane: str = "main"


#: The lane the worker's own thread runs; every other lane gets a thread.
MAIN = "main"


#: The event consumers the worker runs (warehouse, monitoring and compliance register here
#: as they are built), each as a job of its own: its own lease, its own checkpoint.
CONSUMERS: list[Consumer] = []


def consumer_job(consumer: Consumer, every: float = 2.0) -> Job:
    """Run the consumer's next batch; a consumer behind runs again at the next tick."""
    return Job(f"consumer:{consumer.name}", every, lambda bank: run_once(bank.store, consumer))


def warehouse_job(warehouse: WarehousePort, every: float = 2.0) -> Job:
    """Keep the analytics warehouse at most ~5 s behind: every `every` seconds, catch up for
    at most a second (a backlog carries over to the next run) and publish to readers. Its
    checkpoint lives in the warehouse itself (services/analytics/feed.py)."""

    def run(bank: Bank) -> int:
        try:
            # A month of closing days a run at most: after a rebuild, two years of them
            # take about 20 s at 10 million transactions, which would hold up freshness.
            return feed.sync(bank.store, warehouse, budget=1.0, close_months=1)
        except WarehouseError as e:  # a `flaskbank warehouse sync` holds it: next tick
            log.warning("warehouse sync skipped: %s", e.message)
            return 0

    # A lane of its own: on DynamoDB a round of the other jobs took 7 to 11 s under load,
    # which held the warehouse 9 s behind at the 95th percentile.
    return Job("warehouse", every, run, lane="warehouse")


def mail_job(mailer: Mailer, every: float = 5.0) -> Job:
    """Hand due mail to the mailer (services/mail.py): a mail server that is down delays the
    mail, retried with backoff, and holds up no other job for longer than one timeout."""
    return Job("send-mail", every, lambda bank: outbox.send_due(bank, mailer))


def default_jobs(
    consumers: list[Consumer] | None = None,
    warehouse: WarehousePort | None = None,
    mailer: Mailer | None = None,
) -> list[Job]:
    return [
        Job("expire-holds", 30.0, lambda bank: holds.expire_due(bank)),
        Job("standing-orders", 30.0, lambda bank: standing_orders.run_due(bank)),
        # Alerts and the live board within a second or two of the posting: a lane of its own,
        # as on DynamoDB under 50 postings/s a round of the main lane took about 10 s (the
        # audit trail's and notices' consumers), which held the alerts 9 s behind at p50
        # even once the consumer applied a batch at once (bench/bench_monitoring_lag.py).
        Job(
            f"consumer:{monitoring.NAME}",
            1.0,
            lambda bank: monitoring.catch_up(bank, budget=1.0),
            lane="monitoring",
        ),
        Job("consumer:backtests", 5.0, lambda bank: backtests.start_queued(bank)),
        # Notices are queued within seconds of their event; the send job mails them.
        Job(f"consumer:{notices.NAME}", 2.0, lambda bank: notices.catch_up(bank)),
        *([mail_job(mailer)] if mailer is not None else []),
        # Customers' money movements and profile changes into the audit log.
        Job(f"consumer:{audit_trail.NAME}", 2.0, lambda bank: audit_trail.catch_up(bank)),
        *(consumer_job(c) for c in (CONSUMERS if consumers is None else consumers)),
        *([warehouse_job(warehouse)] if warehouse is not None else []),
    ]


@dataclass
class Worker:
    bank: Bank
    jobs: list[Job] = field(default_factory=default_jobs)
    lease_seconds: float = 60.0
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    )
    stop: threading.Event = field(default_factory=threading.Event)
    _last: dict[str, float] = field(default_factory=dict)
    _held: set[str] = field(default_factory=set)

    def tick(self, now: float, lane: str | None = None) -> dict[str, int]:
        """Run every job (of `lane`, if given) that is due and whose lease this worker holds
        or can take."""
        done: dict[str, int] = {}
        for job in self.jobs:
            if self.stop.is_set():
                break
            if lane is not None and job.lane != lane:
                continue
            if now - self._last.get(job.name, float("-inf")) < job.every:
                continue
            if not self._lease(job.name):
                continue
            self._last[job.name] = now
            try:
                done[job.name] = job.run(self.bank)
            except BankError as e:  # the store was busy or down: the next tick tries again
                log.warning("job %s failed: %s", job.name, e.message)
                continue
            if done[job.name]:
                log.info("job %s: %d done", job.name, done[job.name])
        return done

    def _lease(self, name: str) -> bool:
        clock = self.bank.clock()
        until = utc_iso(clock + timedelta(seconds=self.lease_seconds))
        try:
            taken = self.bank.store.leases.acquire(
                f"job:{name}", self.owner, now=utc_iso(clock), until=until
            )
        except BankError as e:
            log.warning("could not renew the lease on %s: %s", name, e.message)
            taken = False
        if taken and name not in self._held:
            log.info("worker %s runs %s", self.owner, name)
            self._held.add(name)
        elif not taken:
            self._held.discard(name)
        return taken

    def run_forever(self, monotonic: Callable[[], float], tick_seconds: float = 1.0) -> None:
        """Run the main lane here and every other lane on a thread of its own until stopped.
        A lane that fails with anything but a BankError (which its job only logs) stops the
        whole worker, which then raises it, as a single lane would have."""
        log.info("worker %s started with jobs %s", self.owner, [j.name for j in self.jobs])
        failed: list[BaseException] = []

        def run(lane: str) -> None:
            try:
                while not self.stop.is_set():
                    began = monotonic()
                    self.tick(began, lane)
                    # A tick every tick_seconds from the start of the last, not tick_seconds
                    # after it ended: a job due every second then runs every second, and
                    # not every second plus its own run (monitoring's 2 s to an alert).
                    self.stop.wait(max(0.0, tick_seconds - (monotonic() - began)))
            except BaseException as e:
                log.exception("worker %s: lane %s failed", self.owner, lane)
                failed.append(e)
                self.stop.set()

        others = sorted({job.lane for job in self.jobs} - {MAIN})
        threads = [
            threading.Thread(target=run, args=(lane,), name=f"worker-{lane}") for lane in others
        ]
        for thread in threads:
            thread.start()
        run(MAIN)
        for thread in threads:
            thread.join()
        self.shutdown()
        if failed:
            raise failed[0]

    def shutdown(self) -> None:
        for name in sorted(self._held):
            with contextlib.suppress(BankError):  # if not, it runs out by itself
                self.bank.store.leases.release(f"job:{name}", self.owner)
        self._held.clear()
        log.info("worker %s stopped", self.owner)

    def stop_on_signals(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("worker %s: signal %d, finishing", self.owner, signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def lease_left(bank: Bank, name: str) -> float | None:
    """Seconds left on a job's lease (for `flaskbank worker --status` and tests)."""
    held = bank.store.leases.holder(f"job:{name}")
    if held is None:
        return None
    return (parse_utc_iso(held[1]) - bank.clock()).total_seconds()
