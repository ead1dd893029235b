"""Many unconditional Puts at once, for bulk loads (bulk.py): BatchWriteItem, 25 items a call,
on a small pool of threads sharing the store's one client (botocore clients are
thread-safe). DynamoDB may accept part of a call and hand the rest back (UnprocessedItems,
under throttling); those are sent again with jittered exponential backoff until every item
is in.

A BatchWriteItem is not a transaction: each item is written on its own, and a call that
fails leaves the others of its batch in. What makes a bulk batch atomic in effect is not
here but in bulk.py (every item of a batch is absolute and written again on a replay, and
the load's manifest moves only once all of them are in)."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...domain.errors import StoreError
from . import items as di
from .client import Dynamo

#: BatchWriteItem takes at most this many items per call.
PER_CALL = 25
#: Calls in flight at once. DynamoDB answers each in a few milliseconds and scales out per
#: partition, so throughput grows with threads until the client's connection pool (64) or,
#: on DynamoDB Local, the JVM's cores are the limit (docs/dynamodb.md, "Bulk loads").
THREADS = 8
#: How many times one call's unprocessed items are sent again before the write gives up.
ATTEMPTS = 12

Put = tuple[str, di.Item]  # (table, item)


def write_all(db: Dynamo, puts: list[Put], threads: int = THREADS) -> None:
    """Put every item, `threads` calls at once, and return once all are in. Raises the first
    failure after every call has ended (what was written stays written: the caller's
    manifest says the batch is not in)."""
    calls = [puts[i : i + PER_CALL] for i in range(0, len(puts), PER_CALL)]
    if len(calls) <= 1 or threads <= 1:
        for call in calls:
            _write(db, call)
        return
    with ThreadPoolExecutor(max_workers=min(threads, len(calls))) as pool:
        # list() raises the first failure; leaving the block waits for the other calls.
        list(pool.map(lambda call: _write(db, call), calls))


def _write(db: Dynamo, puts: list[Put]) -> None:
    request: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, item in puts:
        request[table].append({"PutRequest": {"Item": di.to_wire(item)}})
    pending: dict[str, Any] = dict(request)
    for attempt in range(ATTEMPTS):
        answer = db.call("batch_write_item", RequestItems=pending)
        pending = answer.get("UnprocessedItems") or {}
        if not pending:
            return
        # Throttled: back off (full jitter, so the pool's threads do not retry in step).
        time.sleep(random.uniform(0, min(2.0, 0.025 * 2**attempt)))  # noqa: S311
    left = sum(len(v) for v in pending.values())
    raise StoreError(f"DynamoDB kept {left} items of a bulk write unprocessed; try again")
