"""The compliance review on the synthetic bank (docs/synthetic.md), whose planted patterns
carry labels: every planted structuring run and every labelled day of large cash is found,
on the customer and days the label names, and no structuring where none was planted."""

from __future__ import annotations

from datetime import date

import pytest

from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.domain.accounts import Role
from flaskbank.domain.labels import Pattern
from flaskbank.passwords import FastHasher
from flaskbank.services import compliance
from flaskbank.services.analytics import feed
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.duck import DuckWarehouse
from test_staff_support import make_staff


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("compliance")
    store = SqliteStore(path / "bank.db")
    store.init_schema()
    load_bank(store, Options(150, 17, 4, date(2023, 1, 1), pattern_rate=40), LOCKED)
    warehouse = DuckWarehouse(path / "warehouse.duckdb")
    feed.sync(store, warehouse)
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    officer = make_staff(bank, Role.COMPLIANCE_OFFICER)
    # The service takes any period; the pages and the API keep one to a year.
    period = compliance.Period(date(2022, 12, 1), date(2024, 7, 1))
    found = compliance.review(bank, warehouse, officer, period)
    yield found, list(store.bulk.labels()), store
    store.close()


def _days(store, label):  # type: ignore[no-untyped-def]
    return {store.ledger.get_transaction(t).created_at[:10] for t in label.transaction_ids}


def test_every_planted_structuring_run_is_found(reviewed):
    found, labels, store = reviewed
    planted = [lb for lb in labels if lb.pattern is Pattern.STRUCTURING]
    assert planted
    for label in planted:
        days = _days(store, label)
        assert any(
            f.customer_id == label.user_id
            and str(f.split.first) <= min(days)
            and max(days) <= str(f.split.last)
            for f in found.structuring
        ), label
    # And nothing else: no customer without a planted run looks split.
    assert {f.customer_id for f in found.structuring} == {lb.user_id for lb in planted}


def test_every_labelled_day_of_large_cash_is_found(reviewed):
    found, labels, store = reviewed
    labelled = {
        (lb.user_id, day)
        for lb in labels
        if lb.pattern is Pattern.LARGE_CASH
        for day in _days(store, lb)
    }
    assert labelled
    assert labelled <= {(f.customer_id, str(f.cash.day)) for f in found.large_cash}
