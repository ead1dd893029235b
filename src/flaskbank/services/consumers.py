"""Event consumers: each reads the feed from its own checkpoint, kept in the store.

A consumer has a name (its checkpoint's key) and an `apply(event)` that is idempotent:
delivery is at least once. `run_once` applies a batch and only then saves the checkpoint
past it, so a crash in between applies that batch again on the next run, and nothing is
ever skipped (the store's `read` never passes over an event, see store/base.EventPort).
Effectively once = at least once + an apply that recognises an event it has seen (by
event.id), or whose effect is the same when repeated.

Two instances of one consumer may run at once (a lease should prevent it; the worker holds
one): both may apply the same batch, and only one moves the checkpoint; the other gets
StaleRecord and should read the checkpoint again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ..domain.events import Event
from ..store.base import Store

BATCH = 100


class Consumer(Protocol):
    @property
    def name(self) -> str:
        """Stable across releases: the checkpoint is kept under it."""

    def apply(self, event: Event) -> None:
        """Act on one event; applying it again must change nothing more."""


def run_once(store: Store, consumer: Consumer, *, limit: int = BATCH) -> int:
    """Apply up to `limit` events after the consumer's checkpoint, in feed order, then move
    the checkpoint past them (conditional on nobody having moved it meanwhile: StaleRecord
    otherwise). Returns how many events were applied; 0 means the consumer is caught up."""
    at = store.events.checkpoint(consumer.name)
    page = store.events.read(after=at.position, limit=limit)
    # A consumer that can apply a page at once (the monitoring consumer's apply_all: a few
    # round trips a batch, not several an event) is given it whole.
    apply_all: Callable[[Sequence[Event]], None] | None = getattr(consumer, "apply_all", None)
    if apply_all is not None:
        apply_all(page.events)
    else:
        for event in page.events:
            consumer.apply(event)
    if page.events:
        store.events.save_checkpoint(consumer.name, page.checkpoint, version=at.version)
    return len(page.events)
