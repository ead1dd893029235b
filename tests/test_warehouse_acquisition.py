"""Customer acquisition from the warehouse, recomputed straight from the store's users,
accounts and transactions for a generated bank and compared to the cent: new customers,
activation and the cohorts' activity and balances at their anniversaries, over period
boundaries, the end of a 31-day month, the reporting time zone and years with no data."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import at, new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.domain.accounts import Role, User
from flaskbank.domain.chart import is_internal
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.passwords import FastHasher
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from flaskbank.services.analytics.customer_acquisition import add_months, cohorts
from flaskbank.services.analytics.periods import Period
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.base import CohortDay
from flaskbank.warehouse.duck import DuckWarehouse
from test_staff_support import make_staff
from warehouse_support import parse, periods, run_report, warehouse_in

TOKYO = "Asia/Tokyo"  # UTC+9: an evening in UTC is the next day there
MONTHS = (1, 3, 6, 12)
MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _edge_cases(bank) -> None:  # type: ignore[no-untyped-def]
    """After the generated year (it ends on 2025-12-31): customers whose figures sit on the
    boundaries, in time order, the last event on 2026-07-31."""
    with at(bank, _utc("2026-01-05T09:00")):
        make_staff(bank, Role.FINANCIAL_MANAGER, ready=False)  # staff are not customers
    with at(bank, _utc("2026-01-15T23:30")):  # the 16th in Tokyo
        euro = new_customer(bank, "Euro Evening", currency="EUR")
    with at(bank, _utc("2026-01-20T10:00")):
        postings.deposit(bank, euro.user_id, euro.account_id, amount="100.00")
    with at(bank, _utc("2026-01-31T10:00")):
        early = new_customer(bank, "Jan Early")
    with at(bank, _utc("2026-01-31T12:00")):
        late = new_customer(bank, "Jan Late")
    with at(bank, _utc("2026-02-10T08:00")):
        new_customer(bank, "Never Deposits")
    with at(bank, _utc("2026-02-15T12:00")):  # on the 1-month anniversary (UTC)
        postings.withdraw(bank, euro.user_id, euro.account_id, amount="30.00")
    with at(bank, _utc("2026-03-02T10:00")):  # the 30th day after 31 January: activated
        postings.deposit(bank, early.user_id, early.account_id, amount="50.00")
    with at(bank, _utc("2026-03-03T09:00")):  # the 31st: not
        postings.deposit(bank, late.user_id, late.account_id, amount="80.00")
    with at(bank, _utc("2026-03-31T09:00")):
        march = new_customer(bank, "March End")
    with at(bank, _utc("2026-04-30T09:00")):  # its 1-month anniversary, 30 April
        postings.deposit(bank, march.user_id, march.account_id, amount="20.00")
    with at(bank, _utc("2026-04-30T23:30")):  # 30 April in UTC, 1 May in Tokyo
        postings.transfer(
            bank,
            early.user_id,
            early.account_id,
            amount="12.34",
            to_account_number=late.account_number,
        )
    with at(bank, _utc("2026-05-01T09:00")):
        postings.deposit(bank, march.user_id, march.account_id, amount="5.00")
    with at(bank, _utc("2026-07-31T09:00")):  # the last event: January's 6 months are known
        postings.deposit(bank, march.user_id, march.account_id, amount="1.00")


@dataclass(frozen=True)
class Bank:
    """What the store says, in one zone: each customer's signup day, their legs as
    (day, type, minor units, currency), every account currency, and the last event's day."""

    signups: dict[str, date]
    legs: dict[str, list[tuple[date, str, int, str]]]
    currencies: list[str]
    last_day: date


def _from_store(store: SqliteStore, zone: str) -> Bank:
    tz = ZoneInfo(zone)

    def day(moment: str) -> date:
        return parse_utc_iso(moment).astimezone(tz).date()

    users, cursor = [], None
    while True:
        page = store.users.list_users(limit=500, cursor=cursor)
        users += page.items
        if (cursor := page.next_cursor) is None:
            break
    accounts = list(store.ledger.all_accounts())
    owner = {a.id: a.user_id for a in accounts}
    signups = {u.id: day(u.created_at) for u in users if u.role is Role.CUSTOMER}
    legs: dict[str, list[tuple[date, str, int, str]]] = {u: [] for u in signups}
    moments = [u.created_at for u in users]
    for tx in store.ledger.all_transactions():
        moments.append(tx.created_at)
        for e in tx.entries:
            if not is_internal(e.account_id):
                legs[owner[e.account_id]].append(
                    (day(tx.created_at), tx.type.value, e.amount.minor, e.amount.currency)
                )
    last = day(max(moments, key=parse_utc_iso))
    return Bank(signups, legs, sorted({a.currency for a in accounts}), last)


@pytest.fixture(scope="module")
def acquired(tmp_path_factory) -> Iterator[dict[str, tuple[DuckWarehouse, Bank]]]:  # type: ignore[no-untyped-def]
    """A small generated bank over 26 months and the edge cases after it, its warehouses in
    UTC and in Tokyo, and what the store says in each zone."""
    where: Path = tmp_path_factory.mktemp("acquisition")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(40, 26, 11, start=date(2023, 11, 15)), LOCKED)
    _edge_cases(bootstrap(Config(), store=store, passwords=FastHasher()))
    utc = warehouse_in(where)
    feed.sync(store, utc)
    tokyo = DuckWarehouse(where / "tokyo" / "warehouse.duckdb", timezone=TOKYO)
    feed.sync(store, tokyo)
    yield {"UTC": (utc, _from_store(store, "UTC")), TOKYO: (tokyo, _from_store(store, TOKYO))}
    store.close()


def _anniversary(signup: date, months: int) -> date:
    """Independently of add_months: `months` calendar months on, the day clamped to the
    month's length (31 January and one month is the last day of February)."""
    year = signup.year + (signup.month - 1 + months) // 12
    month = (signup.month - 1 + months) % 12 + 1
    return date(year, month, min(signup.day, calendar.monthrange(year, month)[1]))


def _pct(part: int, whole: int) -> str | None:
    if whole == 0:
        return None
    return str((Decimal(part) * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _expected_main(bank: Bank, first: date, last: date, period: str) -> list[dict[str, str | None]]:
    rows = []
    for start, end in periods(first, last, period):
        members = [u for u, d in bank.signups.items() if start <= d <= end]
        activated = [
            u
            for u in members
            if any(
                t == "deposit" and d <= bank.signups[u] + timedelta(days=30)
                for d, t, _, _ in bank.legs[u]
            )
        ]
        rows.append(
            {
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "new_customers": str(len(members)),
                "cumulative_customers": str(sum(d <= end for d in bank.signups.values())),
                "activated": str(len(activated)),
                "activation_rate_pct": _pct(len(activated), len(members)),
            }
        )
    return rows


def _expected_cohorts(
    bank: Bank, first: date, last: date, period: str
) -> list[dict[str, str | None]]:
    rows = []
    for start, end in periods(first, last, period):
        members = [u for u, d in bank.signups.items() if start <= d <= end]
        row: dict[str, str | None] = {
            "cohort_start": start.isoformat(),
            "cohort_end": end.isoformat(),
            "customers": str(len(members)),
        }
        for currency in bank.currencies:
            cells = dict(row, currency=currency)
            for k in MONTHS:
                known = _anniversary(end, k) <= bank.last_day
                active = balance = 0
                for u in members:
                    since, until = (
                        _anniversary(bank.signups[u], k - 1),
                        _anniversary(bank.signups[u], k),
                    )
                    active += any(since < d <= until for d, _, _, _ in bank.legs[u])
                    balance += sum(a for d, _, a, c in bank.legs[u] if c == currency and d <= until)
                cells[f"active_{k}m"] = str(active) if known else None
                cells[f"balance_{k}m"] = str(Money.from_minor(balance, currency)) if known else None
            rows.append(cells)
    return rows


@pytest.mark.parametrize("zone", ["UTC", TOKYO])
@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2023-11-15", "2026-08-14", "month"),
        ("2026-01-12", "2026-02-22", "week"),
        ("2026-01-14", "2026-02-01", "day"),  # over the 31st of January, in both calendars
        ("2023-12-31", "2026-12-31", "quarter"),
        ("2019-06-01", "2028-06-30", "year"),  # years with no data on both sides
    ],
)
def test_customer_acquisition_matches_the_store(acquired, zone, first, last, period):
    warehouse, bank = acquired[zone]
    report = run_report(
        warehouse,
        MANAGER,
        "customer_acquisition",
        parse("customer_acquisition", first, last, period),
    )
    main, cohort = report.tables
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    assert main.rows == _expected_main(bank, start, end, period)
    expected = _expected_cohorts(bank, start, end, period)
    assert [{c: row[c] for c in cohort.names} for row in cohort.rows] == [
        {c: row[c] for c in cohort.names} for row in expected
    ]
    assert any(row["new_customers"] != "0" for row in main.rows)


def test_the_edge_cases_come_out_as_defined(acquired):
    """The figures the edge cases were made for, read as a finance team would."""
    utc, _ = acquired["UTC"]
    tokyo, _ = acquired[TOKYO]
    asked = parse("customer_acquisition", "2026-01-01", "2026-03-31", "month")
    here, there = (run_report(w, MANAGER, "customer_acquisition", asked) for w in (utc, tokyo))
    january = here.rows[0]
    # Euro Evening, Jan Early, Jan Late; Jan Late's first deposit is on the 31st day.
    assert (january["new_customers"], january["activated"]) == ("3", "2")
    assert january["activation_rate_pct"] == "66.67"
    cohorts_here = {(r["cohort_start"], r["currency"]): r for r in here.tables[1].rows}
    jan_usd, jan_eur = cohorts_here[("2026-01-01", "USD")], cohorts_here[("2026-01-01", "EUR")]
    # In month 1 only Euro Evening moved (its withdrawal on the anniversary itself); the two
    # Jan 31 customers moved first in March.
    assert jan_usd["active_1m"] == "1" and jan_eur["balance_1m"] == "70.00"
    assert jan_usd["balance_1m"] == "0.00"
    # 6 months after 31 January is 31 July, the last day counted: known. 12 months: not.
    assert jan_usd["balance_6m"] == "130.00" and jan_usd["balance_12m"] is None
    assert cohorts_here[("2026-02-01", "USD")]["active_6m"] is None  # 28 August: not yet
    # The 23:30 UTC transfer on 30 April is in Jan Early's month 3 in UTC, not in Tokyo's.
    jan_there = {(r["cohort_start"], r["currency"]): r for r in there.tables[1].rows}
    assert jan_usd["active_3m"] == "2"
    assert jan_there[("2026-01-01", "USD")]["active_3m"] == "0"


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)  # from the signup, not Feb
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_cohorts_sum_each_currency_and_wait_for_the_last_anniversary():
    days = [
        CohortDay(date(2025, 1, 10), 2, (2, 1, 1, 0), {"EUR": (100, 200, 300, 400)}),
        CohortDay(date(2025, 1, 31), 1, (1, 1, 0, 0), {"USD": (5, 6, 7, 8)}),
    ]
    [eur, usd] = cohorts(
        days,
        date(2025, 1, 1),
        date(2025, 1, 31),
        Period.MONTH,
        known_until=date(2025, 7, 30),  # 31 July, six months after 31 January, not yet
        currencies=["USD"],
    )
    assert (eur.currency, eur.customers, eur.active) == ("EUR", 3, (3, 2, None, None))
    assert eur.balances == (100, 200, None, None)
    assert usd.balances == (5, 6, None, None)
    [bare] = cohorts(
        [], date(2025, 1, 1), date(2025, 1, 1), Period.DAY, known_until=None, currencies=[]
    )
    assert (bare.currency, bare.customers, bare.active, bare.balances) == (
        None,
        0,
        (None,) * 4,
        (None,) * 4,
    )


def test_an_empty_warehouse_answers_zeros_and_unknowns(tmp_path):
    report = run_report(
        warehouse_in(tmp_path),
        MANAGER,
        "customer_acquisition",
        parse("customer_acquisition", "2025-01-01", "2025-02-10", "month"),
    )
    assert [r["new_customers"] for r in report.rows] == ["0", "0"]
    assert report.rows[0]["activation_rate_pct"] is None
    assert all(r["balance_1m"] is None for r in report.tables[1].rows)
