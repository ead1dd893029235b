"""What scoring adds to one posting (issue 11): transfers through the services on SQLite by
customers with a year of history, with scoring and without it, timed in alternating batches
in the same run (these machines are noisy, so the two are measured under the same load).

"Without" is the path before monitoring: no profile or rule set read with the accounts, no
read of the recent entries, no scoring. The target: the added latency is at most 1 ms at p50
and 5 ms at p99.

    .venv/bin/python bench/bench_screening.py --customers 20 --n 2000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.domain.errors import Refusal
from flaskbank.domain.monitoring.model import Decision, Verdict
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, postings
from flaskbank.services.bank import Bank
from flaskbank.services.monitoring import consumer, screening

BATCH = 50


def history(bank: Bank, people: list[tuple[str, Any]], days: int, per_day: int) -> int:
    """A year (`days`) of ordinary activity: pay in, spend, pay each other."""
    start = datetime.now(UTC) - timedelta(days=days)
    bank.clock = lambda: start - timedelta(hours=1)
    for user, acc in people:
        postings.deposit(bank, user, acc.id, amount="5000.00")
    made = 0
    for day in range(days):
        for n in range(per_day):
            moment = start + timedelta(days=day, hours=9 + n % 10, minutes=7 * n % 60)
            bank.clock = lambda moment=moment: moment
            i = (day * per_day + n) % len(people)
            user, acc = people[i]
            other = people[(i + 1 + day % (len(people) - 1)) % len(people)][1]
            try:
                if n % 5 == 0:
                    postings.deposit(bank, user, acc.id, amount=f"{200 + (day * 37) % 900}.00")
                elif n % 5 == 1:
                    postings.withdraw(bank, user, acc.id, amount=f"{20 + (day * 13) % 60}.00")
                else:
                    postings.transfer(
                        bank,
                        user,
                        acc.id,
                        amount=f"{5 + (day * 7 + n) % 80}.25",
                        to_account_number=other.number,
                    )
            except Refusal:  # a customer short of money (or a payment the rules stopped)
                continue
            made += 1
    bank.clock = lambda: datetime.now(UTC)
    while consumer.catch_up(bank, batches=50):
        pass
    return made


class Unscored:
    """The posting path as it was before monitoring, switched on for a batch."""

    def __init__(self, bank: Bank) -> None:
        self.read = bank.store.ledger.read_for_posting
        self.screen = screening.screen
        self.bank = bank

    def __enter__(self) -> None:
        read = self.read

        def plain(*args: Any, profile_of: Any = None, with_rules: bool = False, **kw: Any) -> Any:
            return read(*args, **kw)

        self.bank.store.ledger.read_for_posting = plain  # type: ignore[method-assign]
        screening.screen = lambda *a, **k: Verdict(Decision.APPROVE, 0)  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        self.bank.store.ledger.read_for_posting = self.read  # type: ignore[method-assign]
        screening.screen = self.screen  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=20, help="postings a day, all customers")
    parser.add_argument("--n", type=int, default=2000, help="timed transfers of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bank = bootstrap(
            Config(store_url=f"sqlite:///{Path(tmp) / 'bench.db'}"), passwords=FastHasher()
        )
        bank.store.init_schema()
        people = []
        for i in range(args.customers):
            user = customers.register(
                bank,
                email=f"c{i}@example.com",
                full_name=f"Customer {i}",
                password="a long bench secret",
            )
            acc = accounts.open_account(bank, user.id, type="checking")
            people.append((user.id, acc))
        t0 = time.perf_counter()
        made = history(bank, people, args.days, args.per_day)
        print(f"history: {made} postings over {args.days} days in {time.perf_counter() - t0:.1f} s")
        for user, acc in people:  # enough for every timed transfer, whatever the year left
            postings.deposit(bank, user, acc.id, amount="9000.00")
        timings: dict[str, list[float]] = {"with scoring": [], "without": []}
        cpu: dict[str, list[float]] = {"with scoring": [], "without": []}
        decisions: dict[str, int] = {}
        i = 0
        while len(timings["without"]) < args.n:
            for label in ("with scoring", "without"):
                for _ in range(BATCH):
                    user, acc = people[i % len(people)]
                    other = people[(i + 3) % len(people)][1]
                    i += 1
                    started, used = time.perf_counter(), time.process_time()
                    if label == "without":
                        with Unscored(bank):
                            result = postings.transfer(
                                bank, user, acc.id, amount="12.50", to_account_number=other.number
                            )
                    else:
                        result = postings.transfer(
                            bank, user, acc.id, amount="12.50", to_account_number=other.number
                        )
                    timings[label].append(time.perf_counter() - started)
                    cpu[label].append(time.process_time() - used)
                    kind = type(result).__name__
                    decisions[kind] = decisions.get(kind, 0) + 1
        print(f"{'':14} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8} {'CPU p99':>8}")
        q = {k: statistics.quantiles(v, n=100) for k, v in timings.items()}
        c = {k: statistics.quantiles(v, n=100) for k, v in cpu.items()}
        for label, cuts in q.items():
            print(
                f"{label:14} {cuts[49] * 1000:8.3f} {cuts[98] * 1000:8.3f}"
                f" {c[label][49] * 1000:8.3f} {c[label][98] * 1000:8.3f}"
            )
        added = [(q["with scoring"][k] - q["without"][k]) * 1000 for k in (49, 98)]
        spent = [(c["with scoring"][k] - c["without"][k]) * 1000 for k in (49, 98)]
        print(
            f"{'added':14} {added[0]:8.3f} {added[1]:8.3f} {spent[0]:8.3f} {spent[1]:8.3f}"
            "   (target: 1 ms at p50, 5 ms at p99)"
        )
        print(f"outcomes: {decisions}")
        bank.store.close()


if __name__ == "__main__":
    main()
