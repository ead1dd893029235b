"""Many conditional Puts, each its own PutItem, a few in flight at once: for a consumer that
writes a batch of independent records (monitoring's profiles and alerts), where each write
stands or falls alone.

Why not TransactWriteItems chunks: a transaction is all or none, so one profile that moved
meanwhile would cancel the other 99 writes of its chunk, which would all be sent again; it
costs twice the write capacity; and it caps a chunk at 4 MB, which a hundred large profiles
can pass. Nothing here needs the batch to be atomic: each write is idempotent (a profile
recognises the events it has seen, an alert's id follows from its transaction) and the
consumer moves its checkpoint only once every write is in."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .client import CONDITION_FAILED, Dynamo, Refused

#: PutItems in flight at once, on threads sharing the store's one client (thread-safe, its
#: pool holds 64 connections). Each answers in a few milliseconds; eight keep a batch of a
#: few hundred profiles to a few tens of round trips' time.
THREADS = 8


def put_each(db: Dynamo, puts: Sequence[dict[str, Any]], threads: int = THREADS) -> list[bool]:
    """Send each Put (a TransactWriteItems-style Put: TableName, Item, its condition) as
    its own PutItem; whether each was written (False: its condition failed). Raises the
    first other failure once every call has ended (what was written stays written)."""
    if db.open_unit() is not None:
        raise RuntimeError("separate writes are not part of a unit of work")

    def put(params: dict[str, Any]) -> bool:
        try:
            db.call("put_item", expect=CONDITION_FAILED, **params)
        except Refused:
            return False
        return True

    if len(puts) <= 1 or threads <= 1:
        return [put(p) for p in puts]
    with ThreadPoolExecutor(max_workers=min(threads, len(puts))) as pool:
        return list(pool.map(put, puts))
