"""A synthetic bank's event feed in memory, as a store would give it (postings' events
interleaved with the rest in time order), with its labels: for replays, benchmarks and
quality tests of monitoring that need no store."""

from __future__ import annotations

from ..domain.events import Event, transaction_posted
from ..domain.labels import Label
from .options import LOCKED, Options
from .stream import generate


def feed(options: Options) -> tuple[list[Event], list[Label]]:
    """Every event of the bank `options` describe, in feed order, and every label."""
    events: list[Event] = []
    labels: list[Label] = []
    for batch in generate(options, LOCKED):
        mine = [*batch.events, *(transaction_posted(p) for p in batch.postings)]
        # Stable: an account's opening (same time as its user's registration) stays first.
        mine.sort(key=lambda e: e.at)
        events.extend(mine)
        labels.extend(batch.labels)
    return events, labels
