"""Corrective actions on both stores: kept whole, listed oldest first per finding (and only
for the findings asked), never replaced, apart from customers' notes, and written in the
unit of work open on the thread or not at all."""

from __future__ import annotations

import pytest

from flaskbank.domain.compliance import CorrectiveAction
from flaskbank.domain.errors import StoreError

CASH = "large_cash:c-1:2026-01-05:USD"
KYC = "kyc_gap:c-1"


def action(n: int, finding: str = CASH) -> CorrectiveAction:
    return CorrectiveAction(
        f"a-{n}",
        finding,
        "c-1",
        f"2026-01-0{n}T10:00:00.000000Z",
        "u-1",
        "co@bank.example",
        f"CTR filed {n}\nreference {n}",
    )


def test_actions_are_listed_oldest_first_per_finding_and_never_replaced(store):
    port = store.corrective_actions
    for n in (3, 1, 2):
        port.add_action(action(n))
    port.add_action(action(4, finding=KYC))
    assert port.actions_on([CASH, KYC, "frozen:acc-1:2026-01-01T00:00:00.000000Z"]) == {
        CASH: [action(1), action(2), action(3)],
        KYC: [action(4, finding=KYC)],
    }
    assert port.actions_on([KYC]) == {KYC: [action(4, finding=KYC)]}
    assert port.actions_on([]) == {}
    with pytest.raises(StoreError):
        port.add_action(action(1))
    assert len(port.actions_on([CASH])[CASH]) == 3
    # They are not the customer's notes.
    assert store.notes.notes_of("c-1", limit=10) == []


def test_an_action_is_written_with_its_unit_of_work_or_not_at_all(store):
    with pytest.raises(RuntimeError), store.unit_of_work():
        store.corrective_actions.add_action(action(1))
        raise RuntimeError("the audit entry failed")
    assert store.corrective_actions.actions_on([CASH]) == {}
    with store.unit_of_work() as unit:
        store.corrective_actions.add_action(action(2))
        unit.commit()
    assert store.corrective_actions.actions_on([CASH]) == {CASH: [action(2)]}


def test_many_findings_are_answered_at_once(store):
    keys = [f"kyc_gap:c-{n}" for n in range(600)]
    store.corrective_actions.add_action(action(1, finding=keys[-1]))
    assert store.corrective_actions.actions_on(keys) == {keys[-1]: [action(1, finding=keys[-1])]}
