"""Loading a synthetic bank into a store through its bulk path, with a progress bar. Kept
apart from the generator, which knows nothing of stores but their port's types."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..store.base import Store
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
    store: Store, options: Options, password_hash: str, *, progress: bool = False
) -> Loaded:
    """Generate and load; batches the store has already (a killed load) are generated again,
    which the stream's determinism requires anyway, and skipped by the store."""
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
        for batch in generate(options, password_hash):
            digest.add(batch)
            if batch.number < already:
                skipped += 1
            store.bulk.load(batch)
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
        digest.hexdigest(),
    )
