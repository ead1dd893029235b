"""Parameters for tables of bad input: every combination on SQLite, a spread on DynamoDB.

A refusal of a malformed body or a bad amount is decided by the web layer and the domain,
before anything is written; the store only reads the customer's accounts. So the whole cross
product on DynamoDB Local repeats the same code at about a second a case (a new app, two
customers, emptying the tables). On DynamoDB each value of every axis still comes once, so
that each kind of bad input is refused, and changes nothing, on both stores.

    @pytest.mark.parametrize(("store_kind", "route", "amount"), matrix(ROUTES, AMOUNTS))

`store_kind` given this way overrides the `store_kind` fixture (tests/conftest.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet


def _as_param(value: Any, index: int) -> ParameterSet:
    """A value as a parameter set; a tuple is several arguments, as in `parametrize`."""
    if isinstance(value, ParameterSet):
        return value
    values = value if isinstance(value, tuple) else (value,)
    first = values[0] if values else None
    shown = first if isinstance(first, str | int | float | bool) or first is None else index
    return pytest.param(*values, id=str(shown))


def matrix(*axes: Sequence[Any]) -> list[ParameterSet]:
    """(store kind, *one value of each axis): the cross product on "sqlite", and on
    "dynamodb" as many cases as the longest axis has values, the i-th taking each axis's
    i-th value (round again on shorter axes)."""
    params = [[_as_param(value, i) for i, value in enumerate(axis)] for axis in axes]

    def case(store: str, combination: Sequence[ParameterSet]) -> ParameterSet:
        values = [v for p in combination for v in p.values]
        return pytest.param(store, *values, id="-".join([store, *(str(p.id) for p in combination)]))

    every = [case("sqlite", c) for c in itertools.product(*params)]
    longest = max(len(axis) for axis in params)
    spread = [case("dynamodb", [axis[i % len(axis)] for axis in params]) for i in range(longest)]
    return every + spread
