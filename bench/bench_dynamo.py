"""Transfers per second through the services on DynamoDB Local beside SqliteStore, measured
in the same run (shared machines are noisy: the ratio is the figure to watch).

    .venv/bin/python bench/bench_dynamo.py --n 300       # ./dev bench runs it too

Each transfer is the full service path by account number with an idempotency key: one read
(both accounts, the key's record and the counter of the event feed's shard) and one write
(the posting and its event). A transfer that loses a race (the same account, or the same
feed shard) is cancelled and tried again: "writes/transfer" counts the TransactWriteItems
sent per transfer, 1.00 meaning no retries. DynamoDB Local runs on this machine, so
its figures measure our round trips and its JVM, not AWS's latency (single-digit ms per
call in a region, which would bound one thread to roughly 50-150 transfers/s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, postings
from flaskbank.services.bank import Bank
from flaskbank.store.base import Store
from flaskbank.store.sqlite import SqliteStore

TESTS = Path(__file__).resolve().parents[1] / "tests"  # the DynamoDB Local launcher lives there


def pair(bank: Bank, tag: str) -> list[tuple[str, str, str]]:
    """Two funded customers; (user id, account id, the other's number) for each side."""
    made = []
    for name in ("a", "b"):
        user = customers.register(
            bank,
            email=f"{name}-{tag}@example.com",
            full_name=name,
            password="a long bench secret long",
        )
        acc = accounts.open_account(bank, user.id, type="checking")
        postings.deposit(bank, user.id, acc.id, amount="10000.00")
        made.append((user.id, acc))
    (ua, a), (ub, b) = made
    return [(ua, a.id, b.number), (ub, b.id, a.number)]


def transfers_per_second(store: Store, n: int, threads: int) -> tuple[float, float]:
    """Transfers per second, and TransactWriteItems sent per transfer (DynamoDB only)."""
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    pairs = [pair(bank, f"{t}-{uuid.uuid4().hex[:6]}") for t in range(threads)]
    per_thread = n // threads
    writes = _count_writes(store)

    def run(legs: list[tuple[str, str, str]]) -> None:
        for i in range(per_thread):
            user, source, target = legs[i % 2]
            postings.transfer(
                bank,
                user,
                source,
                amount="1.25",
                to_account_number=target,
                idempotency_key=str(uuid.uuid4()),
            )

    workers = [threading.Thread(target=run, args=(legs,)) for legs in pairs]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    done = per_thread * threads
    return done / (time.perf_counter() - start), len(writes) / done


def _count_writes(store: Store) -> list[None]:
    """A list that grows by one per TransactWriteItems the store sends from now on."""
    sent: list[None] = []
    client = getattr(getattr(store, "db", None), "client", None)
    if client is not None:
        client.meta.events.register(
            "before-call.dynamodb.TransactWriteItems", lambda **_: sent.append(None)
        )
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="transfers per measurement")
    parser.add_argument("--threads", type=int, default=4, help="threads for the second row")
    args, _ = parser.parse_known_args()  # ./dev bench passes every benchmark the same flags
    sys.path.insert(0, str(TESTS))
    from dynamodb_local import (
        DynamoDBLocalUnavailable,
        fresh_dynamo_store,
        start_dynamodb_local,
    )

    try:
        with start_dynamodb_local() as endpoint, tempfile.TemporaryDirectory() as tmp:
            rows = []
            for threads in (1, args.threads):
                dynamo = fresh_dynamo_store(endpoint)
                sqlite = SqliteStore(f"{tmp}/bench-{threads}.db")
                sqlite.init_schema()
                transfers_per_second(dynamo, min(args.n, 20), threads)  # warm the JVM up
                d, tries = transfers_per_second(dynamo, args.n, threads)
                s, _ = transfers_per_second(sqlite, args.n, threads)
                rows.append((threads, d, s, tries))
                dynamo.close()
                sqlite.close()
    except DynamoDBLocalUnavailable as e:
        print(f"bench_dynamo skipped: DynamoDB Local not available ({e})")
        return
    print(
        f"{'transfers through the services':<34}{'DynamoDB Local/s':>17}{'SQLite/s':>10}"
        f"{'ratio':>8}{'writes/transfer':>17}"
    )
    for threads, d, s, tries in rows:
        label = f"in-process, {threads} thread{'s' if threads > 1 else ''}, n={args.n}"
        print(f"{label:<34}{d:>17.0f}{s:>10.0f}{d / s:>8.2f}{tries:>17.2f}")


if __name__ == "__main__":
    main()
