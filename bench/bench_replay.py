"""Monitoring's replay and inline cost (issue 11): scoring the feed of a synthetic bank of N
transactions on one core (the same score() and observe() as the live path, state in memory,
the events generated first and not timed), and the cost of one posting's scoring for a
customer with a year of history (profile load, score, observe, dump), p50 and p99.

    .venv/bin/python bench/bench_replay.py                        # 1,000,000 transactions
    .venv/bin/python bench/bench_replay.py --transactions 50000   # a smoke run
    .venv/bin/python bench/bench_replay.py --profile              # cProfile's top entries

Targets: replay at >= 30,000 transactions/s; one posting's scoring well under 1 ms.
Both CPU time (what one core spends) and wall time are printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import random
import time
from datetime import date

from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.ledger import TransactionType
from flaskbank.domain.monitoring.model import Candidate, StoredProfile
from flaskbank.domain.monitoring.profile import Profile, minor, observe, seconds
from flaskbank.domain.monitoring.replay import Replayer
from flaskbank.domain.monitoring.rules import default_rule_set, dump, load
from flaskbank.domain.monitoring.scoring import score
from flaskbank.synthetic import LOCKED, Options, generate
from flaskbank.synthetic.feed import feed

START = date(2024, 1, 1)
YEAR = 365 * 86_400


def customers_for(n: int, months: int, seed: int) -> int:
    """How many customers make about n transactions over the period (from a pilot run)."""
    pilot = 300
    made = sum(len(b.postings) for b in generate(Options(pilot, months, seed, START), LOCKED))
    return max(1, math.ceil(n * pilot / made))


def replay_timed(events: list[Event], replayer: Replayer) -> tuple[float, float]:
    step = replayer.step
    cpu, wall = time.process_time(), time.perf_counter()
    for event in events:
        step(event)
    return time.process_time() - cpu, time.perf_counter() - wall


def inline(
    replayer: Replayer, events: list[Event], samples: int
) -> tuple[list[float], list[float]]:
    """Seconds per posting of what the live path adds: load the stored rule set and profile,
    score the candidate, observe the posting, dump the profile; for customers a year old or
    more. (Reading the recent entries is the store's part, not timed here.)"""
    text = dump(replayer.rules)
    stored = {
        user: StoredProfile(user, p.dump(), 1)
        for user, p in replayer.profiles.items()
        if p.first_at and p.last_at - p.first_at >= YEAR - 31 * 86_400
    }
    postings = [
        e
        for e in events[-200_000:]
        if e.kind is EventKind.TRANSACTION_POSTED and replayer.owners.get(e.subject) in stored
    ]
    rng = random.Random(7)  # noqa: S311 - a reproducible sample
    walls: list[float] = []
    cpus: list[float] = []
    for e in rng.sample(postings, min(samples, len(postings))):
        user = replayer.owners[e.subject]
        legs = e.payload["legs"]
        assert isinstance(legs, list) and isinstance(legs[1], dict)
        recent = list(replayer.recent.get(e.subject, ()))
        began, cpu = time.perf_counter(), time.thread_time()
        rules = load(text)  # as the live path reads the stored rule set
        profile = Profile.load(stored[user], user)
        candidate = Candidate(
            TransactionType(str(e.payload["type"])),
            user,
            e.subject,
            minor(str(e.payload["amount"])),
            "USD",
            e.at,
            str(legs[1]["account_id"]) if e.payload["type"] == "transfer" else None,
        )
        score(rules, profile, recent, candidate)
        observe(profile, e, account_id=e.subject)
        profile.dump()
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - began)
    return walls, cpus


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    args = parser.parse_args()

    customers = customers_for(args.transactions, args.months, args.seed)
    began = time.perf_counter()
    events, _ = feed(Options(customers, args.months, args.seed, START))
    transactions = sum(1 for e in events if e.kind is EventKind.TRANSACTION_POSTED)
    print(
        f"generated      {transactions:,} transactions, {len(events):,} events "
        f"({customers:,} customers, {args.months} months) in {time.perf_counter() - began:.1f} s"
    )
    replayer = Replayer(default_rule_set())
    seconds(events[0].at)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    cpu, wall = replay_timed(events, replayer)
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    print(
        f"replay         {transactions / cpu:,.0f} transactions/s of CPU ({cpu:.1f} s), "
        f"{transactions / wall:,.0f}/s of wall time ({wall:.1f} s) (target >= 30,000)"
    )
    walls, cpus = inline(replayer, events, args.samples)
    if walls:
        print(
            f"inline         p50 {percentile(walls, 0.5) * 1e6:,.0f} us, "
            f"p99 {percentile(walls, 0.99) * 1e6:,.0f} us of wall time; CPU p50 "
            f"{percentile(cpus, 0.5) * 1e6:,.0f} us, p99 {percentile(cpus, 0.99) * 1e6:,.0f} us; "
            f"per posting over {len(walls):,} postings of customers a year old "
            "(rules and profile load + score + observe + dump)"
        )
    else:
        print("inline         no customer a year old: run with --months 13 or more")


if __name__ == "__main__":
    main()
