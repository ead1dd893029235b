"""Loading a synthetic bank into a store through its bulk path, with a progress bar. Kept
apart from the generator, which knows nothing of stores but their port's types."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ..store.base import BulkBatch, Store
from .digest import Digest
from .options import Options
from .stream import generate


@dataclass(frozen=True, slots=True)
class Loaded:
    customers: int
    postings: int
    events: int
    labels: int
    batches: int
    skipped: int
    seconds: float
    digest: str


def load_bank(
    store: Store,
    options: Options,
    password_hash: str,
    *,
    progress: bool = False,
    checksum: bool = False,
) -> Loaded:
    """Generate and load; batches the store has already (a killed load) are generated again,
    which the stream's determinism requires anyway, and skipped by the store. With
    `checksum`, the digest of everything generated (a tenth of the time again: only on
    request)."""
    from tqdm import tqdm

    started = time.perf_counter()
    digest = Digest()
    customers = postings = events = labels = batches = skipped = 0
    already = store.bulk.loaded(options.load_id)
    bar = tqdm(
        total=options.customers,
        unit=" customers",
        disable=not progress,
        smoothing=0.1,
        mininterval=0.5,
    )
    with bar:
        for batch in _loaded_behind(store, generate(options, password_hash)):
            if checksum:
                digest.add(batch)
            if batch.number < already:
                skipped += 1
            batches += 1
            customers += len(batch.users)
            postings += len(batch.postings)
            events += len(batch.events)
            labels += len(batch.labels)
            bar.update(len(batch.users))
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.set_postfix_str(f"{postings / elapsed:,.0f} transactions/s, {postings:,} in all")
    store.bulk.finish(options.load_id)
    return Loaded(
        customers,
        postings,
        events,
        labels,
        batches,
        skipped,
        time.perf_counter() - started,
        digest.hexdigest() if checksum else "",
    )


def _loaded_behind(store: Store, batches: Iterator[BulkBatch]) -> Iterator[BulkBatch]:
    """Each batch loaded on a thread of its own while the next one is generated (SQLite
    lets go of the GIL while it writes and syncs, so the two overlap); yields the batches
    generated so far, and returns once the last is in. A failure of the loader (a refused
    batch, a kill) stops the generator at its next batch and is raised here."""
    # One batch waits while one loads: each batch in flight holds some 40 MB (25,000
    # postings) of a 10M load's 1 GiB budget.
    waiting: queue.Queue[BulkBatch | None] = queue.Queue(maxsize=1)
    failed: list[BaseException] = []

    def load() -> None:
        try:
            while (batch := waiting.get()) is not None:
                store.bulk.load(batch)
        except BaseException as e:  # noqa: BLE001 - handed to the generating thread
            failed.append(e)

    loader = threading.Thread(target=load, name="bulk-loader", daemon=True)
    loader.start()
    try:
        for batch in batches:
            _hand_over(waiting, batch, failed)
            yield batch
        _hand_over(waiting, None, failed)
        loader.join()
    finally:
        if loader.is_alive():  # stopped early: let the batch in hand finish, then stop
            while True:
                try:
                    waiting.put(None, timeout=0.1)
                    break
                except queue.Full:
                    if not loader.is_alive():
                        break
            loader.join()
    if failed:
        raise failed[0]


def _hand_over(
    waiting: queue.Queue[BulkBatch | None], batch: BulkBatch | None, failed: list[BaseException]
) -> None:
    while not failed:
        try:
            waiting.put(batch, timeout=0.1)
            return
        except queue.Full:
            continue
    raise failed[0]
