"""Every setting, its environment variable and its default, declared once.

The README's configuration table is this module in prose; keep them together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def store(self) -> str:
        return self.store_url or f"sqlite:///{Path(self.data_dir) / 'flaskbank.db'}"


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
    return Config(
        data_dir=data_dir,
        store_url=env.get("FLASKBANK_STORE", ""),
        secret_key=secret,
        max_transaction=limit,
        token_ttl_seconds=ttl,
        secure_cookies=env.get("FLASKBANK_SECURE_COOKIES", "0") == "1",
    )
