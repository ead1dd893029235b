"""Loading a synthetic bank into a store through its bulk path, with a progress bar. Kept
apart from the generator, which knows nothing of stores but their port's types."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass

from ..store.base import Store
from .apart import ahead, generated_apart
from .digest import Digest
from .options import Options
from .stream import generate

#: A load of this many customers or more is generated in a process of its own (apart.py):
#: the demo's 300 load in 6.2 s so against 7.2 in one process; for the tests' smaller ones
#: starting the process costs about what it saves.
APART_FROM = 200


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
    apart: bool | None = None,
) -> Loaded:
    """Generate and load; batches the store has already (a killed load) are generated again,
    which the stream's determinism requires anyway, and skipped by the store. With
    `checksum`, the digest of everything generated (a tenth of the time again: only on
    request). `apart`: generate in another process (by default for APART_FROM customers or
    more)."""
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
        if apart is None:
            apart = options.customers >= APART_FROM
        # Either way the next batch is made while this one loads, and the store is used
        # from this thread alone, which lets SQLite's bulk path have the file to itself.
        stream = (generated_apart if apart else generate)(options, password_hash)
        with closing(stream):  # an error while loading stops a generating process
            for batch in stream if apart else ahead(stream):
                store.bulk.load(batch)
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
                bar.set_postfix_str(
                    f"{postings / elapsed:,.0f} transactions/s, {postings:,} in all"
                )
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
