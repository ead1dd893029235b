"""Bulk loading on DynamoDB Local (store/dynamo/bulk.py): transactions and items written per
second through `store.bulk.load`, and the BatchWriteItem threads that wrote them.

    .venv/bin/python bench/bench_dynamo_bulk.py --n 100000 --customers 3000

The bank is built first (deposits, transfers and a few withdrawals among `--customers`
customers with one checking account each, from the domain's own builders,
tests/bulk_batches.py) and only the loading is timed: per batch, working the batch out in
memory, the manifest's two updates, the reads a batch needs, and its BatchWriteItem calls.
DynamoDB Local is a JVM on this machine keeping its tables in SQLite, so the figures
measure it and our Python, not AWS (docs/dynamodb.md, "Bulk loads", says what a region
would take).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from flaskbank.store.base import BulkBatch

TESTS = Path(__file__).resolve().parents[1] / "tests"  # DynamoDB Local and the bank builder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="transactions to load")
    parser.add_argument("--customers", type=int, default=3_000, help="customers (one account each)")
    parser.add_argument("--batch", type=int, default=5_000, help="transactions per batch")
    parser.add_argument("--threads", type=int, default=None, help="BatchWriteItem threads")
    args, _ = parser.parse_known_args()  # ./dev bench passes every benchmark the same flags
    sys.path.insert(0, str(TESTS))
    from bulk_batches import SmallBank
    from dynamodb_local import DynamoDBLocalUnavailable, fresh_dynamo_store, start_dynamodb_local

    load_id = f"bench-{uuid.uuid4().hex[:8]}"
    bank = SmallBank(load_id, seed=2024)
    users, accounts = bank.customers(args.customers)
    batches = [BulkBatch(load_id, 0, users=users, accounts=accounts)]
    for first in range(0, args.n, args.batch):
        postings = tuple(bank.postings(min(args.batch, args.n - first)))
        batches.append(BulkBatch(load_id, len(batches), postings=postings))
    try:
        with start_dynamodb_local() as endpoint:
            store = fresh_dynamo_store(endpoint)
            if args.threads:
                store.bulk.threads = args.threads
            items = _count_items(store)
            began = time.perf_counter()
            for batch in batches:
                store.bulk.load(batch)
            store.bulk.finish(load_id)
            took = time.perf_counter() - began
            store.close()
    except DynamoDBLocalUnavailable as e:
        print(f"bench_dynamo_bulk skipped: DynamoDB Local not available ({e})")
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'bulk load, DynamoDB Local':<34}{'transactions':>13}{'txn/s':>9}{'items':>10}"
        f"{'items/s':>9}{'threads':>9}{'seconds':>9}{'peak MiB':>10}"
    )
    label = f"{args.customers} customers, batches of {args.batch}"
    print(
        f"{label:<34}{args.n:>13}{args.n / took:>9.0f}{items[0]:>10}{items[0] / took:>9.0f}"
        f"{store.bulk.threads:>9}{took:>9.1f}{peak:>10.0f}"
    )


def _count_items(store: Any) -> list[int]:
    """A one-element list counting the items the store's BatchWriteItem calls carry."""
    sent = [0]

    def count(params: dict[str, Any], **_: Any) -> None:
        sent[0] += sum(len(requests) for requests in params["RequestItems"].values())

    store.db.client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", count)
    return sent


if __name__ == "__main__":
    main()
