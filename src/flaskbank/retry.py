"""The one retry layer: try again after a WriteConflict (a lost race, a stale read, a busy
store), with jittered exponential backoff, a bounded number of times.

Standard library only, so that the services and every store can share it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from .domain.errors import WriteConflict

T = TypeVar("T")

#: Attempts before the last WriteConflict reaches the caller (a 503 that is safe to retry).
ATTEMPTS = 6
BACKOFF = 0.005


def retrying(attempt: Callable[[int], T], attempts: int = ATTEMPTS) -> T:
    """`attempt(n)` until it does not raise WriteConflict; contenders spread out instead of
    colliding again, and the last try's WriteConflict goes to the caller."""
    for n in range(attempts):
        try:
            return attempt(n)
        except WriteConflict:
            if n == attempts - 1:
                raise
            time.sleep(random.uniform(0, BACKOFF * 2**n))  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
