"""Bulk loading on DynamoDB Local (store/dynamo/bulk.py): transactions and items written per
second through `store.bulk.load`, and the BatchWriteItem threads that wrote them.

    .venv/bin/python bench/bench_dynamo_bulk.py --n 100000

The bank comes from the synthetic generator (`flaskbank generate`'s, src/flaskbank/synthetic)
where this release has it, its stream cut after `--n` transactions; else (`--source small`)
from tests/bulk_batches.py: deposits, transfers and a few withdrawals among `--customers`
customers with one checking account each, built from the domain's own builders. Only the
loading is timed (each `store.bulk.load`): working the batch out in memory, the manifest's
two updates, the reads a batch needs, and its BatchWriteItem calls. DynamoDB Local is a JVM
on this machine keeping its tables in SQLite, so the figures measure it and our Python, not
AWS (docs/dynamodb.md, "Bulk loads", says what a region would take).
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flaskbank.store.base import BulkBatch

TESTS = Path(__file__).resolve().parents[1] / "tests"  # DynamoDB Local and the bank builder
#: Transactions the synthetic bank makes per customer and month, about (to size it for --n).
PER_CUSTOMER_MONTH = 8


def small_bank(n: int, customers: int, batch: int) -> Iterator[BulkBatch]:
    from bulk_batches import SmallBank

    load_id = f"bench-{uuid.uuid4().hex[:8]}"
    bank = SmallBank(load_id, seed=2024)
    users, accounts = bank.customers(customers)
    yield BulkBatch(load_id, 0, users=users, accounts=accounts)
    for number, first in enumerate(range(0, n, batch), 1):
        postings = tuple(bank.postings(min(batch, n - first)))
        yield BulkBatch(load_id, number, postings=postings)


def synthetic_bank(n: int, months: int, batch: int) -> Iterator[BulkBatch]:
    from flaskbank.synthetic import LOCKED, Options, generate

    customers = max(1, n // (PER_CUSTOMER_MONTH * months))
    options = Options(customers, months, seed=2024, batch_size=batch)
    yield from generate(options, LOCKED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="transactions to load (at most)")
    parser.add_argument("--batch", type=int, default=5_000, help="transactions per batch")
    parser.add_argument("--threads", type=int, default=None, help="BatchWriteItem threads")
    has_generator = importlib.util.find_spec("flaskbank.synthetic") is not None
    parser.add_argument(
        "--source",
        choices=["synthetic", "small"],
        default="synthetic" if has_generator else "small",
    )
    parser.add_argument("--months", type=int, default=12, help="synthetic: months of activity")
    parser.add_argument("--customers", type=int, default=3_000, help="small: customers")
    args, _ = parser.parse_known_args()  # ./dev bench passes every benchmark the same flags
    sys.path.insert(0, str(TESTS))
    from dynamodb_local import DynamoDBLocalUnavailable, fresh_dynamo_store, start_dynamodb_local

    if args.source == "synthetic":
        batches = synthetic_bank(args.n, args.months, args.batch)
    else:
        batches = small_bank(args.n, args.customers, args.batch)
    try:
        with start_dynamodb_local() as endpoint:
            store = fresh_dynamo_store(endpoint)
            if args.threads:
                store.bulk.threads = args.threads
            items = _count_items(store)
            took, done, customers = _load(store, batches, args.n)
            store.close()
    except DynamoDBLocalUnavailable as e:
        print(f"bench_dynamo_bulk skipped: DynamoDB Local not available ({e})")
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'bulk load, DynamoDB Local':<40}{'transactions':>13}{'txn/s':>9}{'items':>10}"
        f"{'items/s':>9}{'threads':>9}{'seconds':>9}{'peak MiB':>10}"
    )
    label = f"{args.source}, {customers} customers, batches of {args.batch}"
    print(
        f"{label:<40}{done:>13}{done / took:>9.0f}{items[0]:>10}{items[0] / took:>9.0f}"
        f"{store.bulk.threads:>9}{took:>9.1f}{peak:>10.0f}"
    )


def _load(store: Any, batches: Iterator[BulkBatch], n: int) -> tuple[float, int, int]:
    """Load batches until `n` transactions are in (the stream is cut there, and the load
    finished); returns the seconds spent loading, the transactions and customers loaded."""
    took, done, customers, load_id = 0.0, 0, 0, ""
    for batch in batches:
        began = time.perf_counter()
        store.bulk.load(batch)
        took += time.perf_counter() - began
        done, customers, load_id = (
            done + len(batch.postings),
            customers + len(batch.users),
            batch.load_id,
        )
        if done >= n:
            break
    store.bulk.finish(load_id)
    return took, done, customers


def _count_items(store: Any) -> list[int]:
    """A one-element list counting the items the store's BatchWriteItem calls carry."""
    sent = [0]

    def count(params: dict[str, Any], **_: Any) -> None:
        sent[0] += sum(len(requests) for requests in params["RequestItems"].values())

    store.db.client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", count)
    return sent


if __name__ == "__main__":
    main()
