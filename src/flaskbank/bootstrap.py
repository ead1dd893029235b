"""The composition root: the one place that builds the bank from settings, for the web app,
the CLI, the benchmarks and the tests. Nothing is connected until the first call needs it."""

from __future__ import annotations

from datetime import timedelta

from .config import Config, ConfigError
from .domain.security import LockoutPolicy, SessionPolicy
from .passwords import ScryptHasher
from .services.bank import Bank, PasswordHasher, Settings
from .store import Store, StoreURLError, open_store
from .warehouse.base import WarehousePort


def settings_of(config: Config) -> Settings:
    """The business limits the services apply, from the validated configuration."""
    return Settings(
        max_transaction=config.max_transaction,
        review_threshold=config.review_threshold,
        review_hours=config.review_hours,
        max_open_accounts=config.max_open_accounts,
        token_ttl_seconds=config.token_ttl_seconds,
        lockout=LockoutPolicy(threshold=config.lockout_threshold),
        sessions=SessionPolicy(
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_max_hours),
        ),
        demo=config.demo,
        base_url=config.base_url,
        large_transfer=config.large_transfer,
    )


def bootstrap(
    config: Config, *, store: Store | None = None, passwords: PasswordHasher | None = None
) -> Bank:
    """The bank on `store` (by default the one FLASKBANK_STORE names), with scrypt password
    hashing unless a test passes a faster hasher. A store URL that names nothing we know is
    the setting's fault: a ConfigError, which the CLI and gunicorn report in one line."""
    if store is None:
        try:
            store = open_store(config.store)
        except StoreURLError as e:
            raise ConfigError(f"FLASKBANK_STORE: {e}") from None
    return Bank(store, passwords or ScryptHasher(), settings_of(config))


def warehouse_of(config: Config) -> WarehousePort:
    """The analytics warehouse at FLASKBANK_WAREHOUSE; nothing is opened until a sync or a
    report needs it (and DuckDB is imported only then)."""
    from .warehouse.duck import DuckWarehouse

    return DuckWarehouse(config.warehouse, timezone=config.report_timezone)
