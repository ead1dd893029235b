"""Deposit growth from the warehouse, recomputed straight from the store's transactions for
a generated bank and compared to the cent, over every kind of period and its boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import pytest

from flaskbank.domain.accounts import Role
from flaskbank.domain.chart import is_internal
from flaskbank.domain.errors import NotPermitted, ValidationFailed
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.services.analytics import feed
from flaskbank.services.analytics.periods import Period, spans, year_before
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.duck import DuckWarehouse
from warehouse_support import parse, period_end, run_report, warehouse_in

TOKYO = "Asia/Tokyo"  # UTC+9: an evening posting in UTC is the next day there


@pytest.fixture(scope="module")
def generated(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small generated bank over 26 months (so that a year before exists), its warehouse,
    and every customer leg as (day, type, minor units, currency) straight from the store."""
    where = tmp_path_factory.mktemp("generated")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(40, 26, 11, start=date(2023, 11, 15)), LOCKED)
    warehouse = warehouse_in(where)
    feed.sync(store, warehouse, limit=1000)  # many batches: their seams must not show
    legs = [
        (date.fromisoformat(tx.created_at[:10]), tx.type.value, e.amount.minor, e.amount.currency)
        for tx in store.ledger.all_transactions()
        for e in tx.entries
        if not is_internal(e.account_id)
    ]
    tokyo = DuckWarehouse(where / "tokyo" / "warehouse.duckdb", timezone=TOKYO)
    feed.sync(store, tokyo)
    zone = ZoneInfo(TOKYO)
    local = [
        (
            parse_utc_iso(tx.created_at).astimezone(zone).date(),
            tx.type.value,
            e.amount.minor,
            e.amount.currency,
        )
        for tx in store.ledger.all_transactions()
        for e in tx.entries
        if not is_internal(e.account_id)
    ]
    yield warehouse, legs, tokyo, local
    store.close()


def _pct(now: int, before: int) -> str | None:
    if before == 0:
        return None
    value = Decimal(now - before) * 100 / Decimal(before)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _expected(legs, first: date, last: date, period: str):  # type: ignore[no-untyped-def]
    rows = []
    currencies = sorted({c for d, _, _, c in legs if d <= last})
    start = first
    while True:  # walk back to the period's first day, one day at a time
        before = start - timedelta(days=1)
        if period_end(before, period) != period_end(start, period):
            break
        start = before
    while start <= last:
        end = period_end(start, period)
        for c in currencies:
            mine = [(d, t, a) for d, t, a, cur in legs if cur == c]
            deposits = sum(a for d, t, a in mine if start <= d <= end and t == "deposit")
            withdrawals = -sum(a for d, t, a in mine if start <= d <= end and t == "withdrawal")
            closing = sum(a for d, _, a in mine if d <= end)
            previous = sum(a for d, _, a in mine if d < start)
            back = start.replace(year=start.year - 1, day=min(start.day, 28))
            year_ago = sum(a for d, _, a in mine if d <= period_end(back, period))
            rows.append(
                {
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "currency": c,
                    "deposits": str(Money.from_minor(deposits, c)),
                    "withdrawals": str(Money.from_minor(withdrawals, c)),
                    "net_flow": str(Money.from_minor(deposits - withdrawals, c)),
                    "closing_balance": str(Money.from_minor(closing, c)),
                    "growth_vs_previous_pct": _pct(closing, previous),
                    "growth_vs_year_before_pct": _pct(closing, year_ago),
                }
            )
        start = end + timedelta(days=1)
    return rows


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2023-11-15", "2026-01-14", "month"),
        ("2024-02-26", "2024-03-04", "day"),  # over the end of a leap February
        ("2024-12-23", "2025-01-12", "week"),  # ISO weeks across the new year
        ("2023-12-31", "2025-12-31", "quarter"),
        ("2019-06-01", "2028-06-30", "year"),  # years with no data on both sides
        ("2025-03-17", "2025-03-17", "month"),  # one day asks for its whole month
    ],
)
def test_deposit_growth_matches_the_store_to_the_cent(generated, first, last, period):
    warehouse, legs, tokyo, local = generated
    manager = make_staff_user()
    report = run_report(
        warehouse, manager, "deposit_growth", parse("deposit_growth", first, last, period)
    )
    expected = _expected(legs, date.fromisoformat(first), date.fromisoformat(last), period)
    assert report.rows == expected
    assert any(row["deposits"] != "0.00" for row in report.rows)
    # The same in the Tokyo calendar: a UTC evening posting counts on the next day.
    there = run_report(
        tokyo, manager, "deposit_growth", parse("deposit_growth", first, last, period)
    )
    assert there.rows == _expected(
        local, date.fromisoformat(first), date.fromisoformat(last), period
    )
    if period == "day":
        assert there.rows != report.rows


def test_the_balances_at_the_end_equal_the_customers_balances(generated):
    warehouse, legs, _, _ = generated
    report = run_report(
        warehouse,
        make_staff_user(),
        "deposit_growth",
        parse("deposit_growth", "2020-01-01", "2030-12-31", "year"),
    )
    last = report.rows[-1]
    total = sum(a for _, _, a, c in legs if c == last["currency"])
    assert last["closing_balance"] == str(Money.from_minor(total, last["currency"]))
    assert report.as_of.events > 0 and report.as_of.last_event_at.startswith("2025-12")


def make_staff_user():  # type: ignore[no-untyped-def]
    from flaskbank.domain.accounts import User

    return User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.FRAUD_ANALYST])
def test_only_reporting_roles_may_ask(generated, role):
    from flaskbank.domain.accounts import User

    warehouse, _, _, _ = generated
    user = User("u", "u@bank.example", "U", "x", role, "2024-01-01")
    with pytest.raises(NotPermitted):
        run_report(
            warehouse,
            user,
            "deposit_growth",
            parse("deposit_growth", "2024-01-01", "2024-02-01", "day"),
        )


@pytest.mark.parametrize(
    ("first", "last", "period", "field"),
    [
        ("2024-13-01", "2024-12-31", "month", "from"),
        ("2024-01-01", "", "month", "to"),
        ("2024-02-01", "2024-01-01", "month", "to"),
        ("2024-01-01", "2024-12-31", "fortnight", "period"),
        ("1900-01-01", "2099-12-31", "day", "period"),  # too many rows
    ],
)
def test_a_bad_range_names_its_field(first, last, period, field):
    with pytest.raises(ValidationFailed) as refused:
        parse("deposit_growth", first, last, period)
    assert field in refused.value.errors


@pytest.mark.parametrize(
    ("start", "period", "before"),
    [
        (date(2024, 2, 29), Period.DAY, (date(2023, 2, 28), date(2023, 2, 28))),
        (date(2025, 1, 6), Period.WEEK, (date(2024, 1, 1), date(2024, 1, 7))),
        (date(2025, 4, 1), Period.QUARTER, (date(2024, 4, 1), date(2024, 6, 30))),
    ],
)
def test_the_same_period_a_year_before(start, period, before):
    assert year_before(start, period) == before


def test_whole_periods_cover_the_range():
    assert spans(date(2024, 1, 31), date(2024, 3, 1), Period.MONTH) == [
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 31)),
    ]
