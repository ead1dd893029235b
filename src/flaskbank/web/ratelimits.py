"""Rate limits on the routes an attacker would hammer: fixed windows counted by the `limits`
library, POST and PATCH only, one count per kind shared by its views (the web form and the
API count together), answered 429 with Retry-After (web/errors.py).

The counts live where FLASKBANK_RATELIMIT_STORAGE says. With `memory://` (the default) each
worker process counts on its own (N workers allow N times the limit) in InProcessCounts; set
e.g. `redis://host:6379` to share them.

Flask-Limiter did this until it was measured (docs/performance.md): working out on every
request which of its limits apply, and its memory storage's timer threads, cost about a sixth
of the app's time per API transfer, for the four fixed limits below.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, request
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from ..config import Config, ConfigError
from .context import client_ip, current_user, token_user

#: Which views each limit guards; the limit is shared by its views.
LIMITED: dict[str, tuple[str, ...]] = {
    # Asking for the current password (an email or password change) is a login by another
    # door: the same limit, so the password cannot be guessed there instead.
    "login": (
        "auth.login",
        "auth.login_code",
        "auth.profile",
        "auth.change_password",
        "api.update_me",
        # A reset link is a password by another name, and asking for one mails someone.
        "auth.forgot_password",
        "auth.reset_password",
        "auth.confirm_email",
        "auth.resend_confirmation",
    ),
    "registration": ("auth.register", "api.register"),
    "tokens": ("api.issue_token",),
    "money": (
        "banking.deposit",
        "banking.withdraw",
        "banking.transfer",
        "api.deposit",
        "api.withdraw",
        "api.transfer",
        # Setting up a standing order moves no money now, but each one moves it monthly.
        "banking.standing_order_list",
        "api.create_standing_order",
    ),
}
COUNTED_METHODS = frozenset({"POST", "PATCH"})
KEY_PREFIX = "flaskbank"


class RateLimited(TooManyRequests):
    """The client reached a limit (`description` says which, e.g. "3 per 1 minute"); it may
    try again after `retry_after` seconds."""

    def __init__(self, limit: RateLimitItem, retry_after: int) -> None:
        super().__init__(str(limit))
        self.retry_after = retry_after


def _by_ip() -> str:
    return f"ip:{client_ip()}"


def _money_key() -> str:
    """Money movement counts per signed-in user (a shared NAT must not block a whole office),
    and per address for anyone else."""
    user = token_user() if request.blueprint == "api" else current_user()
    return f"user:{user.id}" if user is not None else _by_ip()


KEYS: dict[str, Callable[[], str]] = {
    "login": _by_ip,
    "registration": _by_ip,
    "tokens": _by_ip,
    "money": _money_key,
}


class RateLimits:
    """The configured rates per kind, counted in fixed windows on `storage`."""

    def __init__(self, storage: Storage, rates: Mapping[str, str]) -> None:
        self._window = FixedWindowRateLimiter(storage)
        self._rates = {kind: sorted(parse_many(rate)) for kind, rate in rates.items()}

    def hit(self, kind: str, key: str) -> None:
        """Count one request of `kind` from `key`; RateLimited once a rate is exceeded (the
        rates after it are then not counted)."""
        for rate in self._rates[kind]:
            if not self._window.hit(rate, KEY_PREFIX, kind, key):
                reset = self._window.get_window_stats(rate, KEY_PREFIX, kind, key).reset_time
                raise RateLimited(rate, max(1, math.ceil(reset - time.time())))


class InProcessCounts(Storage):
    """The `memory://` storage: this process's counts, each with the end of its window.

    limits' own MemoryStorage drops ended windows from a timer thread, which it starts anew
    on a count made more than 10 ms after its last run: under load, a thread start every few
    requests, each holding its request until the new thread was scheduled. Here ended
    windows are read as empty at once and dropped on the way, at most once per SWEEP_EVERY.
    """

    SWEEP_EVERY = 60.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, window end)
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()  # nothing here fails for want of a backend

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._next_sweep = now + self.SWEEP_EVERY
                self._counts = {k: c for k, c in self._counts.items() if c[1] > now}
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:  # the first count of a window starts it
                count, ends = 0, now + expiry
            self._counts[key] = (count + amount, ends)
            return count + amount

    def get(self, key: str) -> int:
        count, ends = self._counts.get(key, (0, 0.0))
        return count if ends > self._clock() else 0

    def get_expiry(self, key: str) -> float:
        now = self._clock()
        return max(self._counts.get(key, (0, now))[1], now)

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            dropped = len(self._counts)
            self._counts.clear()
        return dropped

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


def open_counts(url: str) -> Storage:
    """The storage a FLASKBANK_RATELIMIT_STORAGE URL names (its scheme was checked in
    config.py); ConfigError when its client library is missing (e.g. redis://)."""
    if url == "memory://":
        return InProcessCounts()
    try:
        storage = storage_from_string(url)
    except ConfigurationError as e:
        raise ConfigError(f"FLASKBANK_RATELIMIT_STORAGE: {e}") from None
    if not isinstance(storage, Storage):  # an async+ storage, which config.py refuses
        raise ConfigError("FLASKBANK_RATELIMIT_STORAGE: this app needs a synchronous storage")
    return storage


def init_rate_limits(app: Flask, config: Config) -> RateLimits | None:
    """Wrap the LIMITED views (call after the blueprints are registered). An app built with
    TESTING=True counts nothing unless RATELIMIT_ENABLED is set in its config."""
    app.config.setdefault("RATELIMIT_ENABLED", config.ratelimit_enabled and not app.testing)
    storage = open_counts(config.ratelimit_storage)  # a bad setting stops the app, on or off
    if not app.config["RATELIMIT_ENABLED"]:
        return None
    limits = RateLimits(
        storage,
        {
            "login": config.ratelimit_login,
            "registration": config.ratelimit_registration,
            "tokens": config.ratelimit_tokens,
            "money": config.ratelimit_money,
        },
    )
    for kind, endpoints in LIMITED.items():
        for endpoint in endpoints:
            app.view_functions[endpoint] = _counted(limits, kind, app.view_functions[endpoint])
    app.extensions["flaskbank_rate_limits"] = limits
    return limits


def _counted(limits: RateLimits, kind: str, view: Callable[..., Any]) -> Callable[..., Any]:
    key = KEYS[kind]

    @functools.wraps(view)
    def counted(*args: Any, **kwargs: Any) -> Any:
        if request.method in COUNTED_METHODS:
            limits.hit(kind, key())
        return view(*args, **kwargs)

    return counted
