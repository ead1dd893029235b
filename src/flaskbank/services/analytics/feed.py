"""The warehouse's consumer of the event feed.

Its checkpoint lives in the warehouse, committed with the rows of the batch that moved it
(warehouse/base.WarehouseWriter.apply), not in the store: a sync killed mid-batch leaves
the warehouse as it was before that batch, and the next sync reads the batch again. So the
warehouse counts every event exactly once, and a resumed sync equals a rebuild.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ...store.base import Store
from ...warehouse.base import WarehousePort, WarehouseWriter

#: Events per warehouse transaction: large enough that the per-transaction cost is small,
#: small enough that a batch is a moment's work for a progress bar and for a kill to lose.
BATCH = 50_000


def sync_batch(store: Store, writer: WarehouseWriter, *, limit: int = BATCH) -> int:
    """Apply the next batch of events after the warehouse's checkpoint; returns how many
    (0: caught up)."""
    after = writer.as_of().position
    page = store.events.read_stored(after=after, limit=limit)
    if not page.events:
        return 0
    writer.apply(page.events, after=after, reaches=page.checkpoint)
    return len(page.events)


def sync(
    store: Store,
    warehouse: WarehousePort,
    *,
    limit: int = BATCH,
    budget: float | None = None,
    fresh: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Catch up (within `budget` seconds, if given; the rest waits for the next run), then
    publish to readers. `fresh`: rebuild from the start of the feed. Returns the events
    applied."""
    started, done = time.monotonic(), 0
    with warehouse.writing(fresh=fresh) as writer:
        while True:
            n = sync_batch(store, writer, limit=limit)
            done += n
            if progress is not None and n:
                progress(n)
            if n == 0 or (budget is not None and time.monotonic() - started > budget):
                return done
