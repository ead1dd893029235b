"""A month's activity as it is planned: actions stamped with a time, sorted, then carried
out in time order by the books (books.py), which may still skip one that the balance it
meets cannot pay for."""

from __future__ import annotations

import bisect
import math
import operator
import random
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from ..domain.events import EventKind, JsonValue
from ..domain.labels import Pattern


class Do(IntEnum):
    SIGNUP = 0
    OPEN_SAVINGS = 1
    DEPOSIT = 2
    WITHDRAW = 3
    TRANSFER = 4
    EVENT = 5
    LOGIN = 6
    CLOSE = 7


#: An amount: whole cents, or (a float below 1) that share of the paying account's balance
#: as it stands when the action runs, floored to whole cents.
Amount = int | float


@dataclass(slots=True)
class Draft:
    """A planted pattern while its steps run: it becomes a label once every step has run,
    if enough of them happened (`need`: how many steps of each role must)."""

    pattern: Pattern
    customer: int
    steps: int
    need: dict[str, int]
    note: str = ""
    transaction_ids: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)
    start: int = -1
    end: int = -1

    def step(self, t: int, role: str, transaction_id: str | None, happened: bool) -> bool:
        """Note a step; True once the last one has run."""
        self.steps -= 1
        if happened:
            self.done[role] = self.done.get(role, 0) + 1
            if transaction_id is not None:
                self.transaction_ids.append(transaction_id)
            self.start = t if self.start < 0 else self.start
            self.end = t
        return self.steps == 0

    @property
    def holds(self) -> bool:
        return all(self.done.get(role, 0) >= n for role, n in self.need.items())


#: (when, what, then its arguments): one flat tuple, since a month of a large bank holds a
#: million of them (a nested one costs a third more memory). Actions at the same time run in
#: the order planned: the sort by time is stable (no counter in each tuple, 36 bytes apiece).
Action = tuple[Any, ...]
_WHEN = operator.itemgetter(0)


class Plan:
    """The actions of one month, in the order they were planned (sorted by time later)."""

    def __init__(self) -> None:
        self.actions: list[Action] = []

    def add(self, t: int, do: Do, *args: Any) -> None:
        self.actions.append((t, do, *args))

    def deposit(self, t: int, who: int, slot: int, amount: Amount, memo: str) -> None:
        self.add(t, Do.DEPOSIT, who, slot, amount, memo, None, "")

    def withdraw(self, t: int, who: int, slot: int, amount: Amount, memo: str) -> None:
        self.add(t, Do.WITHDRAW, who, slot, amount, memo, None, "")

    def transfer(
        self, t: int, who: int, slot: int, to: int, to_slot: int, amount: Amount, memo: str
    ) -> None:
        self.add(t, Do.TRANSFER, who, slot, to, to_slot, amount, memo, None, "")

    def close(self, t: int, who: int, slot: int, into: int | None) -> None:
        """The bank closes the account at the customer's request: its balance moved to their
        account in slot `into`, or (None) paid out by cheque."""
        self.add(t, Do.CLOSE, who, slot, into, None, "")

    def login(self, t: int, who: int, ip: str, device: str) -> None:
        """A login that succeeded; its payload is made when it runs (a dict apiece would be
        most of a month's plan)."""
        self.add(t, Do.LOGIN, who, ip, device, None, "")

    def event(self, t: int, who: int, kind: EventKind, payload: dict[str, JsonValue]) -> None:
        self.add(t, Do.EVENT, who, kind, payload, None, "")

    def in_order(self, until: int) -> tuple[list[Action], list[Action]]:
        """The actions before `until` in time order, and those at or after it (a step
        planned near the month's end that falls into the next): carried out now, they
        would put postings out of time order with the next month's."""
        actions, self.actions = self.actions, []  # the plan lets go of them as they run
        actions.sort(key=_WHEN)  # by time, then (stable) the order planned
        cut = bisect.bisect_left(actions, until, key=_WHEN)
        return actions[:cut], actions[cut:]

    def carry(self, actions: list[Action]) -> None:
        """Take on actions left over from the month before (first in the order planned)."""
        self.actions.extend(actions)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of a month's activity."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def cents(rng: random.Random, mu: float, sigma: float, low: int = 100, high: int = 900_000) -> int:
    """A log-normal amount in dollars, turned into whole cents at once and kept in range."""
    return max(low, min(high, round(rng.lognormvariate(mu, sigma) * 100)))
