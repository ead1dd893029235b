"""Every setting, its environment variable and its default, declared once.

The README's configuration table is this module in prose; keep them together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    store_url: str = ""  # default: sqlite:///<data_dir>/flaskbank.db
    secret_key: str = ""
    max_transaction: Decimal = Decimal("10000.00")
    token_ttl_seconds: int = 3600
    secure_cookies: bool = False
    # -- security (docs/security.md explains each) --
    session_idle_minutes: int = 15
    session_max_hours: int = 12
    lockout_threshold: int = 5
    #: Rate limiting is on unless turned off here; an app built with TESTING=True leaves it
    #: off unless the test turns RATELIMIT_ENABLED on (see web/security.py).
    ratelimit_enabled: bool = True
    #: memory:// counts per process; redis://host:6379 (etc.) shares the counts.
    ratelimit_storage: str = "memory://"
    ratelimit_login: str = "10/minute"
    ratelimit_registration: str = "10/hour"
    ratelimit_tokens: str = "10/minute"
    ratelimit_money: str = "60/minute"
    #: How many reverse proxies (nginx, a load balancer) stand in front of the app and set
    #: X-Forwarded-For/-Proto; 0 trusts no such header.
    proxy_hops: int = 0

    @property
    def store(self) -> str:
        return self.store_url or f"sqlite:///{Path(self.data_dir) / 'flaskbank.db'}"


def _positive_int(env: Mapping[str, str], name: str, default: int, *, zero: bool = False) -> int:
    try:
        value = int(env.get(name, str(default)))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if value < 0 or (value == 0 and not zero):
        raise ConfigError(f"{name} must be {'zero or more' if zero else 'at least 1'}")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate such as 10/minute or 100/hour; "
                          f"got {value!r}") from None
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "1" if default else "0")
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1")
    return value == "1"


def from_env(env: Mapping[str, str] | None = None, *, require_secret: bool = True) -> Config:
    env = os.environ if env is None else env
    data_dir = Path(env.get("FLASKBANK_DATA_DIR", "data"))
    secret = env.get("FLASKBANK_SECRET_KEY", "")
    if require_secret and len(secret) < 32:
        raise ConfigError(
            "FLASKBANK_SECRET_KEY must be set to a random string of at least 32 characters, "
            "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    try:
        limit = Decimal(env.get("FLASKBANK_MAX_TRANSACTION", "10000.00"))
    except InvalidOperation:
        raise ConfigError("FLASKBANK_MAX_TRANSACTION must be a decimal such as 10000.00") from None
    if not limit.is_finite() or limit <= 0:
        raise ConfigError("FLASKBANK_MAX_TRANSACTION must be greater than zero")
    try:
        ttl = int(env.get("FLASKBANK_TOKEN_TTL", "3600"))
    except ValueError:
        raise ConfigError("FLASKBANK_TOKEN_TTL must be a number of seconds") from None
    d = Config()  # the defaults, declared once on the dataclass
    return Config(
        data_dir=data_dir,
        store_url=env.get("FLASKBANK_STORE", ""),
        secret_key=secret,
        max_transaction=limit,
        token_ttl_seconds=ttl,
        secure_cookies=env.get("FLASKBANK_SECURE_COOKIES", "0") == "1",
        session_idle_minutes=_positive_int(env, "FLASKBANK_SESSION_IDLE_MINUTES",
                                           d.session_idle_minutes),
        session_max_hours=_positive_int(env, "FLASKBANK_SESSION_MAX_HOURS", d.session_max_hours),
        lockout_threshold=_positive_int(env, "FLASKBANK_LOCKOUT_THRESHOLD", d.lockout_threshold),
        ratelimit_enabled=_flag(env, "FLASKBANK_RATELIMIT_ENABLED", d.ratelimit_enabled),
        ratelimit_storage=env.get("FLASKBANK_RATELIMIT_STORAGE", d.ratelimit_storage),
        ratelimit_login=_rate(env, "FLASKBANK_RATELIMIT_LOGIN", d.ratelimit_login),
        ratelimit_registration=_rate(env, "FLASKBANK_RATELIMIT_REGISTRATION",
                                     d.ratelimit_registration),
        ratelimit_tokens=_rate(env, "FLASKBANK_RATELIMIT_TOKENS", d.ratelimit_tokens),
        ratelimit_money=_rate(env, "FLASKBANK_RATELIMIT_MONEY", d.ratelimit_money),
        proxy_hops=_positive_int(env, "FLASKBANK_PROXY_HOPS", d.proxy_hops, zero=True),
    )
