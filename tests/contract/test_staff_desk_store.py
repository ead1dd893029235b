"""Notes and approval requests on both stores: notes kept whole and listed newest first per
customer, never replaced; a request read back whole, listed while pending (oldest first),
saved only from the version it was read at, and written in the unit of work open on the
thread or not at all."""

from __future__ import annotations

import pytest

from flaskbank.domain.approvals import ApprovalRequest, ApprovalStatus
from flaskbank.domain.errors import StaleRecord, StoreError
from flaskbank.domain.notes import CustomerNote


def note(n: int, customer: str = "c-1") -> CustomerNote:
    return CustomerNote(
        f"n-{n}",
        customer,
        f"2026-01-0{n}T10:00:00.000000Z",
        "u-1",
        "fa@bank.example",
        f"note {n}\nline two",
    )


def request(n: int, **changes: object) -> ApprovalRequest:
    base = ApprovalRequest(
        f"r-{n}",
        "unfreeze_account",
        f"acc-{n}",
        "c-1",
        "cleared",
        "u-1",
        "fa@bank.example",
        f"2026-01-0{n}T10:00:00.000000Z",
        f"2026-01-0{n + 1}T10:00:00.000000Z",
    )
    return ApprovalRequest(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def test_notes_are_kept_whole_newest_first_per_customer_and_never_replaced(store):
    port = store.notes
    for n in (1, 3, 2):
        port.add_note(note(n))
    port.add_note(note(4, customer="c-2"))
    assert port.notes_of("c-1", limit=10) == [note(3), note(2), note(1)]
    assert port.notes_of("c-1", limit=2) == [note(3), note(2)]
    assert port.notes_of("c-2", limit=10) == [note(4, customer="c-2")]
    assert port.notes_of("nobody", limit=10) == []
    with pytest.raises(StoreError):
        port.add_note(note(1))
    assert len(port.notes_of("c-1", limit=10)) == 3


def test_a_request_round_trips_and_is_listed_while_pending(store):
    port = store.approvals
    assert port.get_request("r-1") is None and port.pending_requests(limit=10) == []
    port.add_request(request(2))
    port.add_request(request(1))
    assert port.get_request("r-1") == request(1)
    assert port.pending_requests(limit=10) == [request(1), request(2)]
    decided = request(1).decided(
        ApprovalStatus.APPROVED, "u-2", "admin@bank.example", "2026-01-01T11:00:00.000000Z"
    )
    port.save_request(decided)
    assert port.get_request("r-1") == decided and decided.version == 1
    assert port.pending_requests(limit=10) == [request(2)]
    with pytest.raises(StoreError):
        port.add_request(request(2))


def test_a_request_saves_only_from_the_version_it_was_read_at(store):
    port = store.approvals
    port.add_request(request(1))
    first = request(1).decided(
        ApprovalStatus.APPROVED, "u-2", "a@bank.example", "2026-01-01T11:00:00.000000Z"
    )
    second = request(1).decided(
        ApprovalStatus.REJECTED, "u-3", "b@bank.example", "2026-01-01T11:00:01.000000Z"
    )
    port.save_request(first)
    with pytest.raises(StaleRecord):
        port.save_request(second)
    assert port.get_request("r-1") == first


def test_writes_join_the_unit_of_work(store):
    with store.unit_of_work():
        store.notes.add_note(note(1))
        store.approvals.add_request(request(1))
        # no commit: rolled back
    assert store.notes.notes_of("c-1", limit=10) == []
    assert store.approvals.get_request("r-1") is None
    with store.unit_of_work() as uow:
        store.notes.add_note(note(1))
        store.approvals.add_request(request(1))
        uow.commit()
    assert store.notes.notes_of("c-1", limit=10) == [note(1)]
    assert store.approvals.get_request("r-1") == request(1)
