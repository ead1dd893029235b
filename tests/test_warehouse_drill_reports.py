"""Every built-in report's drill-downs: each figure that is a sum or count of entries or
transactions opens entries whose named total equals it to the cent, over many periods, in
UTC and in Tokyo (hours and signup days are local); the figures that are not sums
(averages, medians, bands) have none. Closed accounts are checked on hand-made facts: the
generator never closes one. The figures that count customers open customer lists instead,
which test_warehouse_drill_customers.py follows."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from flaskbank.domain.accounts import Role, User
from flaskbank.domain.errors import ValidationFailed
from flaskbank.services.analytics import drilldown, reports
from flaskbank.services.analytics.catalog import CustomerDrill, Query
from flaskbank.services.analytics.entry_params import params, parse
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.duck import DuckWarehouse
from flaskbank.warehouse.entries import EntryFilter, Side
from test_warehouse_drill import _euro_customers
from warehouse_support import parse as parse_report
from warehouse_support import run_report

MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


def _bank(where, timezone: str) -> tuple[SqliteStore, DuckWarehouse]:
    """A small generated bank over 14 months and a euro corner, synced in the zone."""
    from flaskbank.services.analytics import feed

    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(24, 14, 5, start=date(2024, 11, 15)), LOCKED)
    _euro_customers(store)
    found = DuckWarehouse(where / "warehouse.duckdb", timezone=timezone)
    feed.sync(store, found)
    return store, found


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, found = _bank(tmp_path_factory.mktemp("drill_utc"), "UTC")
    yield found
    store.close()


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The same bank counted in Tokyo: hours, days and signup days move."""
    store, found = _bank(tmp_path_factory.mktemp("drill_tokyo"), "Asia/Tokyo")
    yield found
    store.close()


def _check(warehouse, name: str, asked: Query) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Follow every drill-down of the report; each named total must equal its figure. The
    (table, column) pairs drilled, counted where the figure is not zero."""
    report = run_report(warehouse, MANAGER, name, asked)
    spec = reports.spec(name)
    drilled = Counter[tuple[str, str]]()
    with warehouse.reading() as reader:
        for table, per_row in zip(
            report.tables, drilldown.drills(spec, asked, report.tables), strict=True
        ):
            for row, cells in zip(table.rows, per_row, strict=True):
                for column, drill in cells.items():
                    if isinstance(drill, CustomerDrill):  # test_warehouse_drill_customers
                        continue
                    totals = reader.entry_totals(drill.entries)
                    got = drilldown.figure(totals, drill.measure, drill.entries.currency)
                    assert got == row[column], (table.name, row, column, drill)
                    assert parse(params(drill.entries)).where == drill.entries
                    drilled[table.name, column] += row[column] not in ("0", "0.00")
    return drilled


RANGES = [
    ("2024-11-15", "2026-12-31", "month"),
    ("2025-12-25", "2026-01-08", "day"),  # a new year, and euros begin
    ("2025-02-20", "2025-03-20", "week"),
    ("2024-10-01", "2027-03-31", "quarter"),
]


@pytest.mark.parametrize(("first", "last", "period"), RANGES)
def test_transaction_volume(warehouse, first, last, period):
    for kind in ("", "transfer") if period == "month" else ("",):
        filters = {"type": kind} if kind else {}
        drilled = _check(
            warehouse,
            "transaction_volume",
            parse_report("transaction_volume", first, last, period, **filters),
        )
        assert {c for _, c in drilled} == {"transactions", "amount"}
        assert {t for t, _ in drilled} == {"transaction_volume", "by_hour", "by_weekday"}
        assert all(drilled[t, "amount"] for t in ("transaction_volume", "by_hour", "by_weekday"))


@pytest.mark.parametrize(
    ("first", "last", "period", "filters"),
    [
        (*RANGES[0], {}),
        (*RANGES[0], {"account_type": "savings"}),
        (*RANGES[0], {"segment": "student"}),
        (*RANGES[0], {"segment": "unknown"}),
        (*RANGES[1], {}),
        (*RANGES[2], {"account_type": "checking"}),
        (*RANGES[3], {}),
    ],
)
def test_balances(warehouse, first, last, period, filters):
    drilled = _check(
        warehouse, "balances", parse_report("balances", first, last, period, **filters)
    )
    assert set(drilled) <= {("balances", "total"), ("totals", "total")}
    if "segment" not in filters or filters["segment"] == "student":
        assert drilled["balances", "total"] and drilled["totals", "total"]


@pytest.mark.parametrize(
    ("first", "last"), [("2024-11-15", "2026-12-31"), ("2025-03-01", "2025-03-31")]
)
def test_top_customers(warehouse, first, last):
    drilled = _check(warehouse, "top_customers", parse_report("top_customers", first, last))
    assert set(drilled) == {
        ("by_balance", "balance"),
        ("by_flow", "money_in"),
        ("by_flow", "money_out"),
        ("by_flow", "net"),
    }
    assert all(drilled.values())


BUILDER = [
    {"metric": "deposits"},
    {"metric": "deposits", "group_by": "account_type"},
    {"metric": "withdrawals", "group_by": "segment", "currency": "USD"},
    {"metric": "net_flow", "group_by": "account_type", "type": "transfer"},
    {"metric": "net_flow", "segment": "unknown"},
    {"metric": "transactions"},
    {"metric": "transactions", "group_by": "segment"},
    {"metric": "transactions", "group_by": "account_type", "type": "transfer"},
    {"metric": "closing_balance", "group_by": "segment", "account_type": "savings"},
    {"metric": "closing_balance"},
]


@pytest.mark.parametrize("filters", BUILDER)
def test_builder(warehouse, filters):
    first, last, period = RANGES[0] if len(filters) % 2 else RANGES[2]
    drilled = _check(warehouse, "builder", parse_report("builder", first, last, period, **filters))
    assert set(drilled) <= {("builder", "value")}
    if filters.get("segment") != "unknown" or last >= "2026":  # the euro customers have none
        assert drilled["builder", "value"]


@pytest.mark.parametrize("metric", ["active_customers", "new_customers"])
def test_builder_counts_of_people_open_no_entries(warehouse, metric):
    asked = parse_report("builder", "2025-01-01", "2025-12-31", "month", metric=metric)
    assert not _check(warehouse, "builder", asked)


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [("2024-11-01", "2025-12-31", "month"), ("2024-11-15", "2024-12-15", "day"), RANGES[3]],
)
def test_customer_acquisition_cohort_balances(warehouse, first, last, period):
    asked = parse_report("customer_acquisition", first, last, period)
    drilled = _check(warehouse, "customer_acquisition", asked)
    assert {t for t, _ in drilled} == {"cohorts"}
    assert {c for _, c in drilled} <= {"balance_1m", "balance_3m", "balance_6m", "balance_12m"}
    assert drilled["cohorts", "balance_1m"] and drilled["cohorts", "balance_12m"]


def test_local_hours_weekdays_and_signup_days_in_tokyo(tokyo):
    for name, first, last, period, want in [
        ("transaction_volume", "2025-12-25", "2026-01-08", "day", ("by_hour", "amount")),
        ("transaction_volume", "2025-01-01", "2025-06-30", "quarter", ("by_weekday", "amount")),
        ("customer_acquisition", "2024-11-15", "2025-01-15", "week", ("cohorts", "balance_3m")),
        ("balances", "2025-03-01", "2025-04-30", "week", ("balances", "total")),
    ]:
        drilled = _check(tokyo, name, parse_report(name, first, last, period))
        assert drilled[want], (name, drilled)


def test_customer_activity_counts_people_and_opens_no_entries(warehouse):
    asked = parse_report("customer_activity", "2024-11-15", "2026-12-31", "month")
    assert not _check(warehouse, "customer_activity", asked)


def _closed_with_money(where, timezone):  # type: ignore[no-untyped-def]
    """a2 is closed on 20 January at 16:00 UTC (the 21st in Tokyo) holding 7.00, which the
    store never does and the feed may; a1 keeps its money; c2 signs up at 23:30 UTC."""
    from test_warehouse_balances import _Facts

    facts = _Facts()
    facts.customers += [
        ("c1", "customer", "2025-01-01T00:00:00.000000Z", "student"),
        ("c2", "customer", "2025-01-01T23:30:00.000000Z", ""),
    ]
    opened = "2025-01-02T00:00:00.000000Z"
    facts.accounts += [
        ("a1", "c1", "checking", "USD", opened),
        ("a2", "c2", "savings", "USD", opened),
    ]
    for i, (account, amount, at) in enumerate(
        [("a1", 500, "05T12"), ("a2", 900, "06T12"), ("a2", -200, "19T23"), ("a1", 50, "28T01")]
    ):
        facts.entry_transaction.append(f"t{i}")
        facts.entry_account.append(account)
        facts.entry_type.append("deposit" if amount > 0 else "withdrawal")
        facts.entry_amount.append(amount)
        facts.entry_currency.append("USD")
        facts.entry_at.append(f"2025-01-{at}:00:00.000000Z")
    facts.statuses.append(("a2", "closed", "2025-01-20T16:00:00.000000Z"))
    events = facts.events("2025-02-10T23:00:00.000000Z")
    warehouse = DuckWarehouse(where / "warehouse.duckdb", timezone=timezone)
    with warehouse.writing() as writer:
        writer.apply(events, after=None, reaches=events[-1].position)
    return warehouse


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Tokyo"])
def test_closed_accounts_leave_balances_and_top_balances(tmp_path, timezone):
    warehouse = _closed_with_money(tmp_path, timezone)
    for name, period in [("balances", "day"), ("balances", "week"), ("top_customers", "day")]:
        for last in ("2025-01-20", "2025-01-21"):
            asked = parse_report(name, "2025-01-01", last, period)
            assert _check(warehouse, name, asked)
    with warehouse.reading() as reader:
        for day, held in [
            (date(2025, 1, 20), 700 if timezone != "UTC" else 0),
            (date(2025, 1, 21), 0),
        ]:
            f = EntryFilter(None, day, "USD", customer_id="c2", open_at_end=True)
            assert sum(t.amount for t in reader.entry_totals(f)) == held, (day, timezone)
            every = reader.entry_totals(EntryFilter(None, day, "USD", customer_id="c2"))
            assert [t.amount for t in every] == [700]


def test_new_fields_are_written_back_and_read_the_same():
    f = EntryFilter(
        date(2025, 1, 1),
        date(2025, 1, 31),
        "USD",
        ("transfer",),
        side=Side.CREDITS,
        weekday=7,
        hour=0,
        open_at_end=True,
        signed_up_from=date(2024, 1, 31),
        signed_up_to=date(2024, 2, 29),
        life_months=12,
    )
    assert parse(params(f)).where == f


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"weekday": "0"}, "weekday"),
        ({"weekday": "8"}, "weekday"),
        ({"weekday": "Monday"}, "weekday"),
        ({"hour": "24"}, "hour"),
        ({"hour": "-1"}, "hour"),
        ({"open_at_end": "yes", "to": "2025-01-01"}, "open_at_end"),
        ({"open_at_end": "true"}, "open_at_end"),  # at the end of which day?
        ({"signed_up_from": "2025-02-30"}, "signed_up_from"),
        ({"signed_up_from": "2025-03-01", "signed_up_to": "2025-02-01"}, "signed_up_to"),
        ({"life_months": "1201"}, "life_months"),
        ({"life_months": "3m"}, "life_months"),
        ({"life_months": "3", "signed_up_from": "2025-01-01"}, "life_months"),
    ],
)
def test_hostile_new_fields_name_their_field(args, field):
    with pytest.raises(ValidationFailed) as refused:
        parse(args)
    assert field in refused.value.errors
