"""The worker's jobs on both stores, in process: each event consumer is a job of its own,
run by one worker at a time under its lease, from its checkpoint; a second worker takes
over when the first stops renewing, and the consumer still sees every event once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from conftest import at, new_customer
from flaskbank.domain.events import Event
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.services import postings
from flaskbank.warehouse.duck import DuckWarehouse
from flaskbank.worker import Worker, consumer_job, default_jobs


@dataclass
class Deliveries:
    """A consumer that remembers what it was given (an idempotent apply: a set of ids)."""

    name: str = "deliveries"
    seen: Counter[str] = field(default_factory=Counter)

    def apply(self, event: Event) -> None:
        self.seen[event.id] += 1


def test_a_consumer_runs_as_a_job_under_a_lease_and_sees_each_event_once(bank):
    ada = new_customer(bank, deposit="100.00")
    consumer = Deliveries()
    jobs = [consumer_job(consumer, every=0.0)]
    one = Worker(bank, jobs, lease_seconds=30, owner="one")
    two = Worker(bank, jobs, lease_seconds=30, owner="two")
    one.tick(0.0)
    assert consumer.seen and two.tick(0.0) == {}  # the lease is one's: two waits
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="1.00")
    later = parse_utc_iso(bank.now()) + timedelta(seconds=31)  # one stopped renewing
    with at(bank, later):
        assert two.tick(1.0) == {"consumer:deliveries": 1}
        assert one.tick(2.0) == {}  # now two holds it
    two.shutdown()
    assert bank.store.leases.holder("job:consumer:deliveries") is None
    everything = bank.store.events.read(after=None, limit=1000).events
    assert set(consumer.seen) == {e.id for e in everything}
    assert set(consumer.seen.values()) == {1}


def test_the_default_jobs_include_every_registered_consumer():
    consumer = Deliveries("deliveries")
    names = [job.name for job in default_jobs([consumer], warehouse=DuckWarehouse(Path("w")))]
    assert names == [
        "expire-holds",
        "standing-orders",
        "consumer:monitoring",
        "consumer:backtests",
        "consumer:security-notices",
        "consumer:audit-trail",  # customers' activity into the audit log
        "consumer:deliveries",
        "warehouse",  # the analytics warehouse keeps its checkpoint in itself
    ]
