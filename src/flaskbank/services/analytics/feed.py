"""The warehouse's consumer of the event feed.

Its checkpoint lives in the warehouse, committed with the rows of the batch that moved it
(warehouse/base.WarehouseWriter.apply), not in the store: a sync killed mid-batch leaves
the warehouse as it was before that batch, and the next sync reads the batch again. So the
warehouse counts every event exactly once, and a resumed sync equals a rebuild.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ...store.base import Store
from ...warehouse.base import WarehousePort

#: Events per warehouse transaction for the worker, which keeps up with live traffic: a
#: batch is a moment's work, and what a kill loses.
BATCH = 100_000
#: Events per warehouse transaction when catching up from far behind (`flaskbank warehouse
#: sync` and `rebuild`). Each batch's statements cost about the same whatever its size, so
#: bigger batches are faster: on the generated 10M bank, in one session, a rebuild ran at
#: 75,600 transactions/s in batches of 100,000 events (peak RSS 1.9 GiB), 88,100 in
#: 250,000, 99,800 in 500,000 (2.5 GiB) and 106,700 in 1,000,000 (3.5 GiB): memory bought
#: for speed, on a one-off job (docs/analytics.md, "Sync speed").
CATCH_UP = 1_000_000


def sync(
    store: Store,
    warehouse: WarehousePort,
    *,
    limit: int = BATCH,
    budget: float | None = None,
    fresh: bool = False,
    progress: Callable[[int], None] | None = None,
    close_months: int | None = None,
) -> int:
    """Catch up (within `budget` seconds, if given; the rest waits for the next run), keep
    the closing balances of the days that are over (at most `close_months` months of them;
    None: all), then publish to readers. `fresh`: rebuild from the start of the feed.
    Returns the events applied.

    While a batch is applied, the next one is read on another thread: reading the store
    is about a fifth of a sync's time, and both the store's driver and DuckDB let go of the
    GIL while they work (docs/analytics.md, "Sync speed")."""
    return _session(store, warehouse, limit, budget, fresh, progress, close_months)[0]


def rebuild(
    store: Store, warehouse: WarehousePort, *, progress: Callable[[int], None] | None = None
) -> int:
    """Build the warehouse again from the start of the feed and publish it as soon as every
    event is in; the closing balances of its days are kept afterwards (close_days), while
    readers already use it. Returns the events applied."""
    return sync(store, warehouse, limit=CATCH_UP, fresh=True, progress=progress, close_months=0)


def close_days(store: Store, warehouse: WarehousePort) -> int:
    """Catch up, then keep the closing balances of every day that is over and not kept yet
    (after a rebuild: all of them); returns how many days that added."""
    return _session(store, warehouse, CATCH_UP, None, False, None, None)[1]


def _session(
    store: Store,
    warehouse: WarehousePort,
    limit: int,
    budget: float | None,
    fresh: bool,
    progress: Callable[[int], None] | None,
    close_months: int | None,
) -> tuple[int, int]:
    started, done = time.monotonic(), 0
    with warehouse.writing(fresh=fresh) as writer:
        after = writer.as_of().position
        page = store.events.read_stored(after=after, limit=limit)
        while page.events:
            # Read on until a page comes back empty, not merely short: a store may end a
            # page early (DynamoDB's 1 MB per query) with more to come.
            following = _reader().submit(
                store.events.read_stored, after=page.checkpoint, limit=limit
            )
            writer.apply(page.events, after=after, reaches=page.checkpoint)
            done += len(page.events)
            if progress is not None:
                progress(len(page.events))
            after, page = page.checkpoint, following.result()
            if budget is not None and time.monotonic() - started > budget:
                break
        # Once the batches are in, not after each: a later batch of the same catch-up may
        # bring an older day (a bulk load out of order) and drop what was kept meanwhile.
        closed = writer.close_days(months=close_months)
        return done, closed


_READER: ThreadPoolExecutor | None = None
_READER_LOCK = threading.Lock()


def _reader() -> ThreadPoolExecutor:
    """One reading thread for the process, kept: a store gives each thread its own
    connection (SQLite), so a thread per sync would open one more every run."""
    global _READER
    with _READER_LOCK:
        if _READER is None:
            _READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-reader")
        return _READER
