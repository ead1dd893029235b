"""The context every service receives: the store, the settings, the clock, the hasher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, TypeVar

from ..domain.ledger import utc_iso
from ..domain.money import DEFAULT_CURRENCY, Money
from ..domain.security import LockoutPolicy, SessionPolicy
from ..retry import retrying
from ..store.base import Store

T = TypeVar("T")


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, stored_hash: str, password: str) -> bool: ...


@dataclass(frozen=True)
class Settings:
    """Business limits; defaults are declared here once, overridden from the environment."""

    max_transaction: Decimal = Decimal("10000.00")
    review_threshold: Decimal | None = None  # transfers from this amount wait for review
    review_hours: int = 72
    max_open_accounts: int = 10  # accounts not closed, per customer (config.py)
    token_ttl_seconds: int = 3600
    history_page_max: int = 100
    default_currency: str = DEFAULT_CURRENCY
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    #: Running as `flaskbank demo`: demo-only users may sign in (domain.security.may_sign_in).
    demo: bool = False
    #: Where customers reach the site: emailed links start with it (config.base_url).
    base_url: str = "http://127.0.0.1:8000"
    #: A transfer or withdrawal of at least this amount sends its customer a notice.
    large_transfer: Decimal = Decimal("1000.00")

    def limit(self, currency: str) -> Money:
        return _limit(self.max_transaction, currency)


@lru_cache(maxsize=64)
def _limit(most: Decimal, currency: str) -> Money:
    return Money.of(most, currency)  # once per value and currency, not per request


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Bank:
    store: Store
    passwords: PasswordHasher
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = _utcnow

    def now(self) -> str:
        return utc_iso(self.clock())

    def in_unit(self, work: Callable[[], T]) -> T:
        """Run one use case's writes as one unit of work: all of them or none. When a record
        it read was changed meanwhile (a stale write) or the store was busy, `work` runs
        again from fresh reads, so a retry never writes over a newer change."""

        def attempt(_: int) -> T:
            with self.store.unit_of_work() as uow:
                result = work()
                uow.commit()
                return result

        return retrying(attempt)
