"""An event's payload carries only what JSON carries exactly: amounts travel as text."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flaskbank.domain.events import _POSTED, Event, EventKind, check_json_safe, posted_id
from flaskbank.domain.money import Money


def event(payload: dict) -> Event:  # type: ignore[type-arg]
    return Event(
        "e1", EventKind.TRANSACTION_POSTED, "acc", "u", "2026-01-01T00:00:00.000000Z", payload
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": 12.5},
        {"amount": Decimal("12.50")},
        {"amount": Money.of("12.50")},
        {"legs": [{"account_id": "a", "amount": 1.25}]},
        {"legs": [{"account_id": "a", "amount": Decimal("1.25")}]},
        {"legs": [{1: "a"}]},
        {"memo": "rent", "amount": 12.5},
        {"memo": "rent", 1: "a"},
    ],
)
def test_a_payload_with_a_float_decimal_or_money_anywhere_is_refused(payload: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(TypeError):
        event(payload)


def test_text_numbers_booleans_and_nested_records_are_accepted() -> None:
    e = event({"amount": "12.50", "count": 3, "flag": True, "legs": [{"a": "b"}], "x": None})
    assert e.payload["legs"] == [{"a": "b"}]


class Label(str):
    """A subclass of text, as an enum of text values is: carried as text."""


def _safe(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _safe(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_safe(v) for v in value)
    return value is None or isinstance(value, str | int)


scalars = st.one_of(
    st.text(max_size=3),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, places=2),
    st.builds(Label, st.text(max_size=2)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)


@given(values)
def test_a_payload_is_refused_exactly_when_something_in_it_is_not_json_safe(value) -> None:  # type: ignore[no-untyped-def]
    if _safe(value):
        check_json_safe(value, "payload")
    else:
        with pytest.raises(TypeError, match=r"^payload"):
            check_json_safe(value, "payload")


@given(st.one_of(st.uuids().map(str), st.text()))
def test_a_postings_event_id_is_the_uuid5_of_its_transaction_id(transaction_id: str) -> None:
    assert posted_id(transaction_id) == str(uuid.uuid5(_POSTED, transaction_id))
