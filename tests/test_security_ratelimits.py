"""The rate limits' own counting: fixed windows in this process for `memory://`, with no
thread per count, and the retry time a refusal gives."""

from __future__ import annotations

import threading
import time

import pytest
from limits import parse

from flaskbank.web.ratelimits import InProcessCounts, RateLimited, RateLimits
from test_api_support import API, assert_problem
from test_security_support import make_app


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_counts_until_it_ends_then_starts_again():
    clock = Clock()
    counts = InProcessCounts(clock)
    assert [counts.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert counts.get("k") == 3 and counts.get_expiry("k") == 1_060.0
    clock.now += 59.9
    assert counts.incr("k", 60) == 4
    clock.now += 0.1  # the window has ended: it reads as empty, and the next count starts one
    assert counts.get("k") == 0 and counts.get_expiry("k") == clock.now
    assert counts.incr("k", 60) == 1 and counts.get_expiry("k") == clock.now + 60


def test_ended_windows_are_dropped_on_the_way():
    clock = Clock()
    counts = InProcessCounts(clock)
    for n in range(100):
        counts.incr(f"gone-{n}", 10)
    clock.now += InProcessCounts.SWEEP_EVERY
    counts.incr("kept", 10)
    assert len(counts._counts) == 1


def test_each_rate_is_counted_and_the_first_one_exceeded_refuses():
    clock = Clock()
    limits = RateLimits(InProcessCounts(clock), {"money": "2/minute;3/hour"})
    limits.hit("money", "user:a")
    limits.hit("money", "user:a")
    with pytest.raises(RateLimited) as refused:
        limits.hit("money", "user:a")
    assert refused.value.description == str(parse("2/minute"))
    assert 1 <= refused.value.retry_after <= 60
    limits.hit("money", "user:b")  # another key counts apart


def test_counting_starts_no_thread(store, tmp_path, monkeypatch):
    # limits' MemoryStorage starts a timer thread on a count 10 ms after its last one; under
    # load each start held its request until the new thread was scheduled.
    app = make_app(store, tmp_path, rate_limits=True, ratelimit_registration="1000/hour")
    client = app.test_client()
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda t: started.append(t) or start(t))
    for _ in range(5):
        assert_problem(client.post(f"{API}/users", json={}), 422)
        time.sleep(0.015)
    assert started == []
