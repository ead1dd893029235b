"""Schema versions, the part both stores share: numbered steps, the plan from a store's
version to the code's, and what `flaskbank init` reports.

Each store keeps its own list of steps (store/sqlite/migrations.py,
store/dynamo/migrations.py) and records the version it is at (SQLite: the
`schema_migrations` table; DynamoDB: an item in the transactions table). Version 1 is a
store made before versions were recorded; step N brings a store from version N-1 to N. A
new store is made in the latest shape at once and stamped with the latest version, so the
steps only ever run on stores that already hold data.

A store newer than the code (a newer release ran `init` on it, and this one was rolled
back) is refused: this code does not know what the newer steps changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..domain.errors import StoreError

#: The version of a store made before versions were recorded.
UNVERSIONED = 1

C = TypeVar("C")  # what a store's steps work on: a connection, a client


class SchemaMismatch(StoreError):
    """The store's schema is not the one this code was written for."""


class SchemaTooNew(SchemaMismatch):
    """The store was migrated by a newer release than this one."""


class SchemaBehind(SchemaMismatch):
    """The store has not been migrated to this release yet: `flaskbank init` does it."""


@dataclass(frozen=True)
class Step(Generic[C]):
    """One migration: `apply` takes the store from version - 1 to `version`."""

    version: int
    apply: Callable[[C], None]

    @property
    def summary(self) -> str:
        """The first line of the step's docstring."""
        return (self.apply.__doc__ or self.apply.__name__).strip().splitlines()[0]


class Steps(Generic[C]):
    """A store's migrations in order. Register one with `@steps.add(N)` on a function whose
    docstring says what it changes and why; N follows the last step's number."""

    def __init__(self) -> None:
        self._steps: dict[int, Step[C]] = {}

    def add(self, version: int) -> Callable[[Callable[[C], None]], Callable[[C], None]]:
        def register(apply: Callable[[C], None]) -> Callable[[C], None]:
            if version <= UNVERSIONED or version in self._steps:
                raise ValueError(f"migration {version} is taken or below {UNVERSIONED + 1}")
            if not (apply.__doc__ or "").strip():
                raise ValueError(f"migration {version} needs a docstring: what and why")
            self._steps[version] = Step(version, apply)
            return apply

        return register

    @property
    def latest(self) -> int:
        return max(self._steps, default=UNVERSIONED)

    def __iter__(self) -> Iterator[Step[C]]:
        return iter(sorted(self._steps.values(), key=lambda s: s.version))

    def after(self, version: int) -> list[Step[C]]:
        """The steps that bring a store at `version` to the latest, in order."""
        if version > self.latest:
            raise SchemaTooNew(
                f"the store is at schema version {version}, newer than this code knows "
                f"({self.latest}): run the release that migrated it, or a later one"
            )
        missing = [v for v in range(UNVERSIONED + 1, self.latest + 1) if v not in self._steps]
        if missing:
            raise AssertionError(f"migrations {missing} are missing: number steps 2, 3, ...")
        return [s for s in self if s.version > version]

    def check(self, version: int | None) -> None:
        """Raise unless a store at `version` (None: no tables yet) is what this code needs."""
        if version is not None and version > self.latest:
            self.after(version)
        if version is None or version < self.latest:
            at = "has no tables" if version is None else f"is at schema version {version}"
            raise SchemaBehind(
                f"the store {at}; this code needs version {self.latest}: run `flaskbank init` first"
            )


@dataclass(frozen=True)
class SchemaReport:
    """What `init` did: made a new store at `version`, or applied the migrations `applied`
    to reach it, or nothing (the store was already there)."""

    version: int
    applied: tuple[int, ...] = ()
    created: bool = False

    def __str__(self) -> str:
        if self.created:
            return f"schema created at version {self.version}"
        if not self.applied:
            return f"already at version {self.version}"
        plural = "s" if len(self.applied) > 1 else ""
        return f"schema at version {self.version}; applied migration{plural} {_runs(self.applied)}"


def _runs(versions: tuple[int, ...]) -> str:
    """2, 3, 4, 6 as "2..4, 6" (another `init` may have applied the ones in between)."""
    runs: list[list[int]] = []
    for v in versions:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)
