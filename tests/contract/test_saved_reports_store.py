"""Saved reports' storage on both stores: kept and read back whole, listed by name, names
unique whatever their case (also when two staff save at once), removed once, and saved in
the unit of work open on the thread (with its audit entry) or not at all."""

from __future__ import annotations

import threading

import pytest

from flaskbank.domain.errors import ReportNameTaken, ReportNotFound
from flaskbank.domain.saved_reports import SavedReport


def saved(n: int, name: str, **params: str) -> SavedReport:
    return SavedReport(
        f"sr-{n}",
        name,
        "builder",
        {"from": "2025-01-01", "to": "2025-12-31", "period": "month", **params},
        "u-fm",
        "fm@bank.example",
        f"2026-01-0{n}T10:00:00.000000Z",
    )


def test_a_saved_report_is_kept_whole_and_listed_by_name(store):
    port = store.saved_reports
    assert port.saved_reports() == [] and port.get_saved_report("sr-1") is None
    first = saved(1, "Zebra deposits", metric="deposits", group_by="account_type")
    second = saved(2, "ärger: Flows by segment ✓")
    third = saved(3, "alpha")
    for s in (first, second, third):
        port.add_saved_report(s)
    assert port.get_saved_report("sr-1") == first
    assert port.get_saved_report("sr-2") == second
    assert [s.id for s in port.saved_reports()] == ["sr-3", "sr-1", "sr-2"]
    assert port.get_saved_report("x" * 5000) is None


def test_names_are_unique_whatever_their_case(store):
    port = store.saved_reports
    port.add_saved_report(saved(1, "Monthly deposits"))
    with pytest.raises(ReportNameTaken) as taken:
        port.add_saved_report(saved(2, "MONTHLY deposits"))
    assert taken.value.field == "name"
    assert port.get_saved_report("sr-2") is None
    assert [s.id for s in port.saved_reports()] == ["sr-1"]


def test_removing_frees_the_name_and_happens_once(store):
    port = store.saved_reports
    first = saved(1, "Monthly deposits")
    port.add_saved_report(first)
    port.remove_saved_report(first)
    assert port.get_saved_report("sr-1") is None and port.saved_reports() == []
    with pytest.raises(ReportNotFound):
        port.remove_saved_report(first)
    port.add_saved_report(saved(2, "monthly deposits"))
    assert [s.id for s in port.saved_reports()] == ["sr-2"]


def test_two_saves_of_one_name_at_once_keep_one(store):
    port = store.saved_reports
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def save(n: int) -> None:
        start.wait()
        try:
            port.add_saved_report(saved(n, "Race"))
            outcomes.append("saved")
        except ReportNameTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "taken", "taken", "taken"]
    assert len(port.saved_reports()) == 1


def test_a_save_joins_the_unit_of_work(store):
    with store.unit_of_work():  # never committed: nothing is kept
        store.saved_reports.add_saved_report(saved(1, "Dropped"))
    assert store.saved_reports.saved_reports() == []
    with store.unit_of_work() as uow:
        store.saved_reports.add_saved_report(saved(2, "Kept"))
        uow.commit()
    assert [s.id for s in store.saved_reports.saved_reports()] == ["sr-2"]
