"""An event's payload carries only what JSON carries exactly: amounts travel as text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flaskbank.domain.events import Event, EventKind
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
