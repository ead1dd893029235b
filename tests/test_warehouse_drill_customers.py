"""The drill-down of the figures that count customers: each opens a customer list whose count
equals the figure, for every such cell of customer acquisition (and its cohorts), customer
activity and the builder's new and active customers, over days to quarters, in UTC and in Tokyo; the
lists hold the very customers the store says (signups, activation, categories recomputed
from its transactions), and pages walked either way list each of them once. Closed accounts
are checked on the hand-made customers of test_warehouse_volume_activity."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from flaskbank.domain.accounts import Role, User
from flaskbank.domain.chart import is_internal
from flaskbank.domain.errors import NotPermitted, ValidationFailed
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.services.analytics import customer_list, drilldown, reports
from flaskbank.services.analytics.catalog import CustomerDrill, Query
from flaskbank.services.analytics.customer_activity import WINDOWS
from flaskbank.services.analytics.customer_params import CustomerQuery, params, parse
from flaskbank.warehouse.customers import CustomerFilter
from flaskbank.warehouse.entries import EntryFilter
from test_warehouse_drill_reports import _bank
from test_warehouse_volume_activity import END, PEOPLE, _events
from warehouse_support import parse as parse_report
from warehouse_support import run_report, warehouse_in

MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")
ACQUISITION = {"new_customers", "cumulative_customers", "activated"}
COHORTS = {"customers", "active_1m", "active_3m", "active_6m", "active_12m"}
ACTIVITY = {"customers", "active", "dormant", "churned", "never_active"}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The drill tests' generated bank (and its euro corner), and what its store says: each
    customer's UTC signup day, entry days and deposit days."""
    store, warehouse = _bank(tmp_path_factory.mktemp("drill_customers"), "UTC")
    signed: dict[str, date] = {}
    cursor = None
    while True:
        page = store.users.list_users(limit=50, cursor=cursor)
        signed |= {
            u.id: date.fromisoformat(u.created_at[:10])
            for u in page.items
            if u.role is Role.CUSTOMER
        }
        cursor = page.next_cursor
        if not cursor:
            break
    owner = {a.id: a.user_id for a in store.ledger.all_accounts()}
    days: dict[str, set[date]] = defaultdict(set)
    deposits: dict[str, set[date]] = defaultdict(set)
    for tx in store.ledger.all_transactions():
        day = parse_utc_iso(tx.created_at).date()
        for e in tx.entries:
            if not is_internal(e.account_id):
                days[owner[e.account_id]].add(day)
                if tx.type.value == "deposit":
                    deposits[owner[e.account_id]].add(day)
    yield warehouse, signed, days, deposits
    store.close()


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, warehouse = _bank(tmp_path_factory.mktemp("drill_customers_tokyo"), "Asia/Tokyo")
    yield warehouse
    store.close()


def _check(warehouse, name: str, asked: Query) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Follow every customer drill-down of the report: the list's count must equal its
    figure, and the link's parameters read back as the same filter. The (table, column)
    pairs drilled, counted where the figure is not zero."""
    report = run_report(warehouse, MANAGER, name, asked)
    drilled = Counter[tuple[str, str]]()
    with warehouse.reading() as reader:
        for table, per_row in zip(
            report.tables, drilldown.drills(reports.spec(name), asked, report.tables), strict=True
        ):
            for row, cells in zip(table.rows, per_row, strict=True):
                for column, drill in cells.items():
                    if not isinstance(drill, CustomerDrill):
                        continue
                    got = reader.customer_count(drill.customers)
                    assert str(got) == row[column], (table.name, row, column, drill)
                    assert parse(params(drill.customers)).where == drill.customers
                    drilled[table.name, column] += row[column] != "0"
    return drilled


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2024-11-01", "2026-12-31", "month"),
        ("2024-11-15", "2025-03-02", "week"),
        ("2024-11-15", "2024-12-31", "day"),
        ("2024-10-01", "2027-03-31", "quarter"),
    ],
)
def test_every_acquisition_and_cohort_count_opens_as_many_customers(bank, first, last, period):
    warehouse, *_ = bank
    drilled = _check(
        warehouse, "customer_acquisition", parse_report("customer_acquisition", first, last, period)
    )
    assert {c for t, c in drilled if t == "customer_acquisition"} == ACQUISITION
    assert {c for t, c in drilled if t == "cohorts"} == COHORTS
    assert all(drilled["customer_acquisition", c] for c in ACQUISITION)
    assert drilled["cohorts", "customers"] and drilled["cohorts", "active_1m"]
    if period != "day":  # a day's handful of signups may all rest in their twelfth month
        assert drilled["cohorts", "active_12m"]


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2024-11-01", "2027-03-31", "month"),  # the bank's life and quiet years after
        ("2024-10-01", "2027-12-31", "quarter"),
        ("2025-11-20", "2026-01-20", "week"),
    ],
)
def test_every_activity_count_opens_as_many_customers(bank, first, last, period):
    warehouse, *_ = bank
    asked = parse_report("customer_activity", first, last, period)
    drilled = _check(warehouse, "customer_activity", asked)
    assert {c for _, c in drilled} == ACTIVITY
    assert all(drilled["customer_activity", c] for c in ("customers", "active", "dormant"))
    if period != "week":
        assert drilled["customer_activity", "churned"]


@pytest.mark.parametrize(
    "filters",
    [
        {"metric": "new_customers"},
        {"metric": "new_customers", "group_by": "segment"},
        {"metric": "new_customers", "segment": "student"},
        {"metric": "new_customers", "segment": "unknown"},  # the euro customers
        {"metric": "active_customers"},
        {"metric": "active_customers", "group_by": "segment"},
        {"metric": "active_customers", "group_by": "account_type", "type": "transfer"},
        {"metric": "active_customers", "currency": "EUR", "segment": "unknown"},
        {"metric": "active_customers", "account_type": "checking", "type": "withdrawal"},
    ],
)
def test_the_builders_customer_counts_open_as_many_customers(bank, filters):
    warehouse, *_ = bank
    asked = parse_report("builder", "2024-11-01", "2026-06-30", "month", **filters)
    drilled = _check(warehouse, "builder", asked)
    assert set(drilled) == {("builder", "value")} and drilled["builder", "value"]


def test_in_tokyo_signup_days_and_categories_move_and_still_add_up(tokyo):
    for name, first, last, period, want in [
        ("customer_acquisition", "2024-11-15", "2025-01-15", "week", ("cohorts", "active_1m")),
        (
            "customer_acquisition",
            "2024-11-15",
            "2024-12-15",
            "day",
            ("customer_acquisition", "activated"),
        ),
        (
            "customer_activity",
            "2024-11-01",
            "2026-03-31",
            "month",
            ("customer_activity", "dormant"),
        ),
    ]:
        drilled = _check(tokyo, name, parse_report(name, first, last, period))
        assert drilled[want], (name, drilled)


def _walk(warehouse, where: CustomerFilter, size: int = 7):  # type: ignore[no-untyped-def]
    """Every page from the first by Older, then back by Newer: the ids each way."""
    pages = [customer_list.list_customers(warehouse, MANAGER, CustomerQuery(where, size=size))]
    while pages[-1].older:
        asked = CustomerQuery(where, older=pages[-1].older, size=size)
        pages.append(customer_list.list_customers(warehouse, MANAGER, asked))
    back = [pages[-1]]
    while back[-1].newer:
        asked = CustomerQuery(where, newer=back[-1].newer, size=size)
        back.append(customer_list.list_customers(warehouse, MANAGER, asked))
    down = [c for p in pages for c in p.customers]
    up = [c for p in reversed(back) for c in p.customers]
    assert down == up
    assert [c.key for c in down] == sorted((c.key for c in down), reverse=True)
    assert len({c.customer_id for c in down}) == len(down) == pages[0].count
    return down


def _category(days: set[date], at: date) -> str:
    before = [d for d in days if d <= at]
    if not before:
        return "never_active"
    quiet = (at - max(before)).days
    return "active" if quiet < WINDOWS[0] else "dormant" if quiet < WINDOWS[1] else "churned"


def test_the_lists_hold_the_customers_the_store_says_once_each(bank):
    warehouse, signed, days, deposits = bank
    first, last = date(2025, 1, 1), date(2025, 3, 31)
    joined = {c for c, d in signed.items() if first <= d <= last}
    listed = _walk(warehouse, CustomerFilter(first, last))
    assert {c.customer_id for c in listed} == joined and joined
    assert all(c.signed_up == signed[c.customer_id] and c.category is None for c in listed)
    activated = {c for c in joined if any(d <= signed[c] + timedelta(30) for d in deposits[c])}
    listed = _walk(warehouse, CustomerFilter(first, last, activated=True), size=3)
    assert {c.customer_id for c in listed} == activated and activated <= joined
    by_end = _walk(warehouse, CustomerFilter(None, last), size=11)
    assert {c.customer_id for c in by_end} == {c for c, d in signed.items() if d <= last}
    found = set()
    for at in (date(2025, 6, 30), date(2026, 2, 28), date(2027, 3, 31)):
        for category in ("active", "dormant", "churned"):
            where = CustomerFilter(at=at, category=category, windows=WINDOWS)
            listed = _walk(warehouse, where, size=5)
            expected = {
                c for c, d in signed.items() if d <= at and _category(days[c], at) == category
            }
            assert {c.customer_id for c in listed} == expected, (at, category)
            found |= {category} if expected else set()
            for c in listed:
                assert c.category == category
                assert c.last_entry == max(d for d in days[c.customer_id] if d <= at)
        everyone = _walk(warehouse, CustomerFilter(at=at, windows=WINDOWS), size=50)
        assert Counter(c.category for c in everyone) == Counter(
            _category(days[c], at) for c, d in signed.items() if d <= at
        )
    assert found == {"active", "dormant", "churned"}
    with warehouse.reading() as reader:  # mid-2025 falls inside spells: those read the entries
        inside = "SELECT count(*) FROM activity_spells WHERE first_day <= $1 AND last_day > $1"
        assert reader.con.execute(inside, [date(2025, 6, 30)]).fetchone()[0]


def test_a_page_past_either_end_offers_the_way_back(bank):
    warehouse, *_ = bank
    where = CustomerFilter(date(2025, 1, 1), date(2025, 3, 31))
    first = customer_list.list_customers(warehouse, MANAGER, CustomerQuery(where, size=500))
    oldest = first.customers[-1].key
    past = customer_list.list_customers(warehouse, MANAGER, CustomerQuery(where, older=oldest))
    assert past.customers == [] and past.newer == oldest and past.older is None
    assert first.newer is None and first.older is None and first.count == len(first.customers)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):  # type: ignore[no-untyped-def]
    warehouse = warehouse_in(tmp_path_factory.mktemp("hand_made_customers"))
    with warehouse.writing() as writer:
        writer.apply(_events(PEOPLE), after=None, reaches="1")
    return warehouse


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (
            END,
            {
                "active": {"active-89", "one-of-two-closed"},
                "dormant": {"dormant-90", "dormant-364", "closed-tomorrow"},
                "churned": {
                    "churned-365",
                    "closed-active",
                    "closed-never",
                    "both-closed",
                    "reopened-with-new",
                },
                "never_active": {"never"},
            },
        ),
        (
            END + timedelta(days=1),
            {
                "active": {"one-of-two-closed", "reopened-with-new"},
                "dormant": {"active-89", "dormant-90"},
                "churned": {
                    "dormant-364",
                    "churned-365",
                    "closed-active",
                    "closed-never",
                    "both-closed",
                    "closed-tomorrow",
                },
                "never_active": {"never", "later"},
            },
        ),
    ],
)
def test_every_account_closed_is_churned_whatever_the_entries_say(hand_made, at, expected):
    with hand_made.reading() as reader:
        for category, people in expected.items():
            where = CustomerFilter(at=at, category=category, windows=WINDOWS)
            page = reader.customer_page(where, older=None, newer=None, size=50)
            assert {c.customer_id for c in page.customers} == people, category
            assert reader.customer_count(where) == len(people)
    asked = parse_report("customer_activity", at.isoformat(), at.isoformat(), "day")
    assert _check(hand_made, "customer_activity", asked)


def test_the_filter_is_written_back_and_read_the_same():
    for where in [
        CustomerFilter(date(2025, 1, 31), date(2025, 2, 28), "unknown", activated=True),
        CustomerFilter(date(2024, 1, 1), date(2024, 3, 31), active_in_month=12),
        CustomerFilter(at=date(2025, 6, 30), category="never_active", windows=WINDOWS),
        CustomerFilter(None, date(2025, 6, 30), "student", at=date(2025, 6, 30), windows=WINDOWS),
        CustomerFilter(
            segment="unknown",
            entries=EntryFilter(
                date(2025, 1, 1), date(2025, 1, 31), "USD", ("transfer",), "savings"
            ),
        ),
        CustomerFilter(entries=EntryFilter(date(2025, 1, 1), date(2025, 3, 31), "EUR")),
    ]:
        assert parse(params(where)).where == where


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"signed_up_from": "2025-02-30"}, "signed_up_from"),
        ({"signed_up_from": "2025-03-01", "signed_up_to": "2025-02-01"}, "signed_up_to"),
        ({"segment": "a' OR 1=1 --"}, "segment"),
        ({"activated": "yes"}, "activated"),
        ({"active_in_month": "0"}, "active_in_month"),
        ({"active_in_month": "3m"}, "active_in_month"),
        ({"at": "yesterday"}, "at"),
        ({"category": "asleep", "at": "2025-01-01"}, "category"),
        ({"category": "active"}, "category"),  # at the end of which day?
        ({"size": "501"}, "size"),
        ({"older": "'; SELECT 1"}, "older"),
        ({"older": "MjAyNS0wMS0wMXxh", "newer": "MjAyNS0wMS0wMXxh"}, "newer"),
        ({"entry_from": "2025-02-01", "entry_to": "2025-01-01"}, "entry_to"),
        ({"entry_type": "bribe"}, "entry_type"),
        ({"entry_currency": "usd'--"}, "entry_currency"),
        ({"entry_account_type": "loan"}, "entry_account_type"),
    ],
)
def test_hostile_parameters_name_their_field(args, field):
    with pytest.raises(ValidationFailed) as refused:
        parse(args)
    assert field in refused.value.errors


def test_only_staff_who_read_reports_list_customers(bank):
    warehouse, *_ = bank
    analyst = User("fa", "fa@bank.example", "F A", "x", Role.FRAUD_ANALYST, "2024-01-01")
    with pytest.raises(NotPermitted):
        customer_list.list_customers(warehouse, analyst, parse({}))
