"""The queue's page-level arrangement (casework.arrange): what the store cannot filter or
order by, the analysts' page does on the page it got, keeping the store's order on ties."""

from __future__ import annotations

import pytest

from flaskbank.domain.errors import ValidationFailed
from flaskbank.domain.monitoring.model import (
    Alert,
    AlertStatus,
    Decision,
    Severity,
    Verdict,
)
from flaskbank.services.monitoring.casework import arrange, severity_of


def _alert(n: int, severity: Severity, status: AlertStatus, assignee: str | None) -> Alert:
    return Alert(
        id=f"a{n}",
        created_at=f"2026-01-0{n}T00:00:00.000000Z",
        severity=severity,
        score=50,
        status=status,
        customer_id="c",
        account_id="acc",
        decision=Decision.REVIEW,
        verdict=Verdict(Decision.REVIEW, 50),
        amount="1.00",
        currency="USD",
        assignee=assignee,
    )


# Newest first, as the store lists them.
PAGE = [
    _alert(4, Severity.MEDIUM, AlertStatus.FALSE_POSITIVE, "bo@bank.example"),
    _alert(3, Severity.CRITICAL, AlertStatus.OPEN, None),
    _alert(2, Severity.HIGH, AlertStatus.INVESTIGATING, "al@bank.example"),
    _alert(1, Severity.CRITICAL, AlertStatus.OPEN, "bo@bank.example"),
]


@pytest.mark.parametrize(
    "kwargs, ids",
    [
        ({}, ["a4", "a3", "a2", "a1"]),
        ({"sort": "oldest"}, ["a1", "a2", "a3", "a4"]),
        ({"sort": "severity"}, ["a3", "a1", "a2", "a4"]),
        ({"sort": "status"}, ["a3", "a1", "a2", "a4"]),
        ({"sort": "assignee"}, ["a2", "a4", "a1", "a3"]),
        ({"severity": Severity.CRITICAL}, ["a3", "a1"]),
        ({"assignee": " BO@bank.example "}, ["a4", "a1"]),
        ({"assignee": "none"}, ["a3"]),
        ({"severity": Severity.LOW}, []),
    ],
)
def test_arrange(kwargs, ids):
    assert [a.id for a in arrange(list(PAGE), **kwargs)] == ids


def test_an_unknown_severity_is_refused_with_the_choices():
    assert severity_of("") is None and severity_of("high") is Severity.HIGH
    with pytest.raises(ValidationFailed) as refused:
        severity_of("urgent")
    assert refused.value.errors == {"severity": "one of low, medium, high, critical"}
