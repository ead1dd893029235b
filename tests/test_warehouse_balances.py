"""The balances and top customers reports from the warehouse, recomputed straight from the
store's accounts, transactions and events for a generated bank and compared to the cent
(period boundaries, the Tokyo calendar, years with no data, filters); then the rules the
generated bank never exercises (closed accounts, negative balances, even counts, ties,
two currencies) on hand-made facts."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import pytest

from flaskbank.domain.accounts import CASH_ACCOUNT_ID, Role, User
from flaskbank.domain.chart import is_internal
from flaskbank.domain.events import EventKind, StoredEvent
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.services.analytics import feed
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.duck import DuckWarehouse
from warehouse_support import parse, periods, run_report, warehouse_in

TOKYO = "Asia/Tokyo"
MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


@dataclass
class Book:
    """The store's facts as plain data: accounts (id -> user, type, currency, opened at),
    each user's segment, status changes (account, status, at) and customer legs
    (account, at, minor units), times as UTC datetimes."""

    accounts: dict[str, tuple[str, str, str, object]]
    segments: dict[str, str]
    statuses: list[tuple[str, str, object]]
    legs: list[tuple[str, object, int]]


def _book(store: SqliteStore) -> Book:
    accounts = {
        a.id: (a.user_id, a.type.value, a.currency, parse_utc_iso(a.opened_at))
        for a in store.ledger.all_accounts()
    }
    segments, statuses, after = {}, [], None
    while True:
        page = store.events.read(after=after, limit=5000)
        if not page.events:
            break
        for e in page.events:
            if e.kind is EventKind.USER_REGISTERED and e.payload.get("segment"):
                segments[e.subject] = str(e.payload["segment"])
            elif e.kind is EventKind.ACCOUNT_STATUS_CHANGED:
                statuses.append((e.subject, str(e.payload["status"]), parse_utc_iso(e.at)))
        after = page.checkpoint
    legs = [
        (e.account_id, parse_utc_iso(tx.created_at), e.amount.minor)
        for tx in store.ledger.all_transactions()
        for e in tx.entries
        if not is_internal(e.account_id)
    ]
    return Book(accounts, segments, statuses, legs)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small generated bank over 26 months, its warehouse in UTC and in Tokyo's calendar,
    and the store's facts as plain data."""
    where = tmp_path_factory.mktemp("balances")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(40, 26, 11, start=date(2023, 11, 15)), LOCKED)
    warehouse = warehouse_in(where)
    feed.sync(store, warehouse, limit=1000)
    tokyo = DuckWarehouse(where / "tokyo" / "warehouse.duckdb", timezone=TOKYO)
    feed.sync(store, tokyo)
    yield warehouse, tokyo, _book(store)
    store.close()


def _closing(book: Book, zone: ZoneInfo, day: date) -> dict[str, int]:
    """Every account that exists at the end of `day` (opened by then, not closed at its
    end) and its closing balance."""

    def local(at) -> date:  # type: ignore[no-untyped-def]
        return at.astimezone(zone).date()

    status: dict[str, str] = {}
    for account, what, at in sorted(book.statuses, key=lambda s: s[2]):
        if local(at) <= day:
            status[account] = what
    found = {
        a: 0
        for a, (_, _, _, opened) in book.accounts.items()
        if local(opened) <= day and status.get(a) != "closed"
    }
    for account, at, minor in book.legs:
        if account in found and local(at) <= day:
            found[account] += minor
    return found


def _half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


def _expected_balances(book, zone, first, last, period, kind=None, segment=None):  # type: ignore[no-untyped-def]
    rows = []
    for start, end in periods(first, last, period):
        groups = defaultdict(list)
        for account, balance in _closing(book, zone, end).items():
            user, type_, currency, _ = book.accounts[account]
            seg = book.segments.get(user, "unknown")
            if (kind is None or kind == type_) and (segment is None or segment == seg):
                groups[(type_, seg, currency)].append(balance)
        for (type_, seg, currency), values in sorted(groups.items()):
            values.sort()
            n = len(values)
            middle = Decimal(values[(n - 1) // 2] + values[n // 2]) / 2
            rows.append(
                {
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "account_type": type_,
                    "segment": seg,
                    "currency": currency,
                    "accounts": str(n),
                    "total": _money(sum(values), currency),
                    "average": _money(_half_even(Decimal(sum(values)) / n), currency),
                    "median": _money(_half_even(middle), currency),
                    "min": _money(values[0], currency),
                    "max": _money(values[-1], currency),
                }
            )
    return rows


BANDS = [
    (Decimal("-Infinity"), "below 0"),
    (Decimal(0), "0 to <100"),
    (Decimal(100), "100 to <1,000"),
    (Decimal(1000), "1,000 to <10,000"),
    (Decimal(10000), "10,000 to <100,000"),
    (Decimal(100000), "100,000 and over"),
]


def _expected_bands(book, zone, day, kind=None, segment=None):  # type: ignore[no-untyped-def]
    counted: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    present = set()
    for account, balance in _closing(book, zone, day).items():
        user, type_, currency, _ = book.accounts[account]
        seg = book.segments.get(user, "unknown")
        if (kind is None or kind == type_) and (segment is None or segment == seg):
            major = Money.from_minor(balance, currency).amount
            band = [name for low, name in BANDS if major >= low][-1]
            counted[(type_, currency, band)][0] += 1
            counted[(type_, currency, band)][1] += balance
            present.add((type_, currency))
    return [
        {
            "day": day.isoformat(),
            "account_type": type_,
            "currency": currency,
            "band": band,
            "accounts": str(counted[(type_, currency, band)][0]),
            "total": _money(counted[(type_, currency, band)][1], currency),
        }
        for type_, currency in sorted(present)
        for _, band in BANDS
    ]


def _totals(rows):  # type: ignore[no-untyped-def]
    summed: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        key = (r["period_start"], r["period_end"], r["currency"])
        summed[key][0] += int(r["accounts"])
        summed[key][1] += Money.of(r["total"], r["currency"]).minor
    return [
        {
            "period_start": start,
            "period_end": end,
            "currency": currency,
            "accounts": str(accounts),
            "total": _money(total, currency),
        }
        for (start, end, currency), (accounts, total) in sorted(summed.items())
    ]


@pytest.mark.parametrize(
    ("first", "last", "period", "filters"),
    [
        ("2023-11-15", "2026-01-14", "month", {}),
        ("2024-02-26", "2024-03-04", "day", {}),  # over the end of a leap February
        ("2024-12-23", "2025-01-12", "week", {"account_type": "savings"}),
        ("2023-12-31", "2025-12-31", "quarter", {"segment": "business"}),
        ("2019-06-01", "2028-06-30", "year", {}),  # years with no data on both sides
        ("2025-03-17", "2025-03-17", "month", {"segment": "nobody"}),  # no such accounts
    ],
)
def test_balances_match_the_store_to_the_cent(generated, first, last, period, filters):
    warehouse, tokyo, book = generated
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    kind, segment = filters.get("account_type"), filters.get("segment")
    for where, zone in ((warehouse, ZoneInfo("UTC")), (tokyo, ZoneInfo(TOKYO))):
        report = run_report(
            where, MANAGER, "balances", parse("balances", first, last, period, **filters)
        )
        balances, totals, bands = report.tables
        assert balances.rows == _expected_balances(book, zone, start, end, period, kind, segment)
        assert bands.rows == _expected_bands(book, zone, end, kind, segment)
        assert totals.rows == _totals(balances.rows)
    if not filters and period == "month":
        assert len({r["segment"] for r in balances.rows}) >= 4
        assert {r["account_type"] for r in balances.rows} == {"checking", "savings"}


def _expected_top(book, zone, first, last):  # type: ignore[no-untyped-def]
    owned: dict[tuple[str, str], list[int]] = defaultdict(list)
    for account, balance in _closing(book, zone, last).items():
        user, _, currency, _ = book.accounts[account]
        owned[(user, currency)].append(balance)
    by_balance = sorted(owned.items(), key=lambda kv: (kv[0][1], -sum(kv[1]), kv[0][0]))
    moved: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for account, at, minor in book.legs:
        if first <= at.astimezone(zone).date() <= last:
            user, _, currency, _ = book.accounts[account]
            moved[(user, currency)][0 if minor > 0 else 1] += abs(minor)
    by_flow = sorted(moved.items(), key=lambda kv: (kv[0][1], -sum(kv[1]), kv[0][0]))
    balance_rows, flow_rows = [], []
    for currency in sorted({c for _, c in owned} | {c for _, c in moved}):
        mine = [kv for kv in by_balance if kv[0][1] == currency][:20]
        for rank, ((user, _), values) in enumerate(mine, 1):
            balance_rows.append(
                {
                    "rank": str(rank),
                    "customer_id": user,
                    "segment": book.segments.get(user, "unknown"),
                    "accounts": str(len(values)),
                    "balance": _money(sum(values), currency),
                    "currency": currency,
                }
            )
        flows = [kv for kv in by_flow if kv[0][1] == currency][:20]
        for rank, ((user, _), (money_in, money_out)) in enumerate(flows, 1):
            flow_rows.append(
                {
                    "rank": str(rank),
                    "customer_id": user,
                    "segment": book.segments.get(user, "unknown"),
                    "money_in": _money(money_in, currency),
                    "money_out": _money(money_out, currency),
                    "flow": _money(money_in + money_out, currency),
                    "net": _money(money_in - money_out, currency),
                    "currency": currency,
                }
            )
    return balance_rows, flow_rows


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2023-11-15", "2026-01-14"),
        ("2024-12-31", "2025-01-01"),  # a new year's eve and day: the calendars differ
        ("2019-01-01", "2019-12-31"),  # before the bank: nobody
    ],
)
def test_top_customers_match_the_store_to_the_cent(generated, first, last):
    warehouse, tokyo, book = generated
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    for where, zone in ((warehouse, ZoneInfo("UTC")), (tokyo, ZoneInfo(TOKYO))):
        report = run_report(where, MANAGER, "top_customers", parse("top_customers", first, last))
        by_balance, by_flow = report.tables
        assert (by_balance.rows, by_flow.rows) == _expected_top(book, zone, start, end)
        assert report.rows == by_balance.rows and report.chart is None
    if first == "2023-11-15":
        assert len(by_balance.rows) == len(by_flow.rows) == 20


def _handmade(where, timezone="UTC"):  # type: ignore[no-untyped-def]
    """Facts the store never makes: a negative balance, a closed account, ties, two
    currencies, an account opened at 23:00 UTC on the last day of January (1 February in
    Tokyo), balances on both sides of the top band's boundary."""
    facts = _Facts()
    for user, segment in [
        ("c1", "retiree"),
        ("c2", ""),
        ("c3", "retiree"),
        ("c4", "salaried"),
        ("c5", ""),
        ("c6", "student"),
    ]:
        facts.customers.append((user, "customer", "2025-01-01T00:00:00.000000Z", segment))
    opened = "2025-01-01T00:00:00.000000Z"
    for account, user, kind, currency, at in [
        ("a1", "c1", "checking", "USD", opened),
        ("a2", "c2", "checking", "USD", opened),
        ("a3", "c3", "checking", "USD", opened),
        ("a4", "c3", "savings", "EUR", "2025-01-10T00:00:00.000000Z"),
        ("a5", "c1", "checking", "USD", "2025-01-31T23:00:00.000000Z"),
        ("a6", "c4", "checking", "USD", opened),
        ("a7", "c4", "checking", "USD", opened),
        ("a8", "c5", "checking", "USD", opened),
        ("a9", "c5", "savings", "USD", opened),
        ("a10", "c5", "savings", "USD", opened),
        ("a11", "c6", "checking", "USD", opened),
    ]:
        facts.accounts.append((account, user, kind, currency, at))
    for i, (account, amount, currency, day) in enumerate(
        [
            ("a1", 101, "USD", "05"),
            ("a2", 100, "USD", "06"),
            ("a3", 104, "USD", "12"),
            ("a4", 5000, "EUR", "11"),
            ("a6", 101, "USD", "07"),
            ("a7", 2, "USD", "07"),
            ("a8", 101, "USD", "07"),
            ("a9", 10_000_000, "USD", "02"),
            ("a10", 9_999_999, "USD", "02"),
            ("a11", 103, "USD", "08"),
            ("a3", -104, "USD", "19"),
            ("a2", -350, "USD", "25"),
        ]
    ):
        facts.entry_transaction.append(f"t{i}")
        facts.entry_account.append(account)
        facts.entry_type.append("deposit" if amount > 0 else "withdrawal")
        facts.entry_amount.append(amount)
        facts.entry_currency.append(currency)
        facts.entry_at.append(f"2025-01-{day}T12:00:00.000000Z")
    facts.statuses += [
        ("a1", "frozen", "2025-01-10T09:00:00.000000Z"),  # frozen still counts
        ("a3", "closed", "2025-01-20T10:00:00.000000Z"),
    ]
    events = facts.events("2025-01-31T23:00:00.000000Z")
    warehouse = DuckWarehouse(where / "warehouse.duckdb", timezone=timezone)
    with warehouse.writing() as writer:
        writer.apply(events, after=None, reaches=events[-1].position)
    return warehouse


@dataclass
class _Facts:
    """Hand-made rows, written as the feed would carry them (StoredEvent, JSON payloads)."""

    customers: list[tuple[str, str, str, str]] = field(default_factory=list)
    accounts: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    statuses: list[tuple[str, str, str]] = field(default_factory=list)
    entry_transaction: list[str] = field(default_factory=list)
    entry_account: list[str] = field(default_factory=list)
    entry_type: list[str] = field(default_factory=list)
    entry_amount: list[int] = field(default_factory=list)
    entry_currency: list[str] = field(default_factory=list)
    entry_at: list[str] = field(default_factory=list)

    def events(self, last_at: str) -> list[StoredEvent]:
        made: list[tuple[str, str, str, dict[str, object]]] = []
        for user, role, at, segment in self.customers:
            made.append(("user_registered", user, at, {"role": role, "segment": segment}))
        for account, user, kind, currency, at in self.accounts:
            payload = {"user_id": user, "type": kind, "currency": currency}
            made.append(("account_opened", account, at, payload))
        for tx, account, kind, minor, currency, at in zip(
            self.entry_transaction,
            self.entry_account,
            self.entry_type,
            self.entry_amount,
            self.entry_currency,
            self.entry_at,
            strict=True,
        ):
            amount = Money.from_minor(minor, currency)
            legs = [
                {"account_id": account, "amount": str(amount)},
                {"account_id": CASH_ACCOUNT_ID, "amount": str(-amount)},
            ]
            payload = {"transaction_id": tx, "type": kind, "currency": currency, "legs": legs}
            made.append(("transaction_posted", account, at, payload))
        for account, status, at in self.statuses:
            made.append(("account_status_changed", account, at, {"status": status}))
        made.append(("login_succeeded", "c1", last_at, {}))  # the last event the feed had
        return [
            StoredEvent(kind, subject, at, json.dumps(payload), str(n))
            for n, (kind, subject, at, payload) in enumerate(made, start=1)
        ]


def _cells(rows, *names):  # type: ignore[no-untyped-def]
    return [tuple(r[n] for n in names) for r in rows]


def test_the_rules_on_handmade_facts(tmp_path):
    warehouse = _handmade(tmp_path)
    mid = run_report(
        warehouse, MANAGER, "balances", parse("balances", "2025-01-15", "2025-01-15", "day")
    )
    stats = (
        "account_type",
        "segment",
        "currency",
        "accounts",
        "total",
        "average",
        "median",
        "min",
        "max",
    )
    assert _cells(mid.rows, *stats) == [
        ("checking", "retiree", "USD", "2", "2.05", "1.02", "1.02", "1.01", "1.04"),  # 1.025
        ("checking", "salaried", "USD", "2", "1.03", "0.52", "0.52", "0.02", "1.01"),  # 0.515
        ("checking", "student", "USD", "1", "1.03", "1.03", "1.03", "1.03", "1.03"),
        ("checking", "unknown", "USD", "2", "2.01", "1.00", "1.00", "1.00", "1.01"),  # 1.005
        ("savings", "retiree", "EUR", "1", "50.00", "50.00", "50.00", "50.00", "50.00"),
        (
            "savings",
            "unknown",
            "USD",
            "2",
            "199999.99",
            "100000.00",
            "100000.00",
            "99999.99",
            "100000.00",
        ),
    ]
    end = run_report(
        warehouse, MANAGER, "balances", parse("balances", "2025-01-31", "2025-01-31", "day")
    )
    balances, totals, bands = end.tables
    assert _cells(balances.rows, *stats)[:4] == [
        # a3 closed on the 20th; a5 opened that evening with nothing on it yet: 0.505
        ("checking", "retiree", "USD", "2", "1.01", "0.50", "0.50", "0.00", "1.01"),
        ("checking", "salaried", "USD", "2", "1.03", "0.52", "0.52", "0.02", "1.01"),
        ("checking", "student", "USD", "1", "1.03", "1.03", "1.03", "1.03", "1.03"),
        ("checking", "unknown", "USD", "2", "-1.49", "-0.74", "-0.74", "-2.50", "1.01"),  # -0.745
    ]
    assert _cells(totals.rows, "currency", "accounts", "total") == [
        ("EUR", "1", "50.00"),
        ("USD", "9", "200001.57"),
    ]
    assert _cells(bands.rows, "account_type", "currency", "band", "accounts", "total") == [
        ("checking", "USD", "below 0", "1", "-2.50"),
        ("checking", "USD", "0 to <100", "6", "4.08"),
        ("checking", "USD", "100 to <1,000", "0", "0.00"),
        ("checking", "USD", "1,000 to <10,000", "0", "0.00"),
        ("checking", "USD", "10,000 to <100,000", "0", "0.00"),
        ("checking", "USD", "100,000 and over", "0", "0.00"),
        ("savings", "EUR", "below 0", "0", "0.00"),
        ("savings", "EUR", "0 to <100", "1", "50.00"),
        *[
            ("savings", "EUR", b, "0", "0.00")
            for b in ("100 to <1,000", "1,000 to <10,000", "10,000 to <100,000", "100,000 and over")
        ],
        ("savings", "USD", "below 0", "0", "0.00"),
        *[
            ("savings", "USD", b, "0", "0.00")
            for b in ("0 to <100", "100 to <1,000", "1,000 to <10,000")
        ],
        ("savings", "USD", "10,000 to <100,000", "1", "99999.99"),
        ("savings", "USD", "100,000 and over", "1", "100000.00"),
    ]
    filtered = run_report(
        warehouse,
        MANAGER,
        "balances",
        parse(
            "balances", "2025-01-31", "2025-01-31", "day", account_type="savings", segment="unknown"
        ),
    )
    assert _cells(filtered.rows, "account_type", "segment", "accounts") == [
        ("savings", "unknown", "2")
    ]
    assert [r["band"] for r in filtered.tables[2].rows if r["accounts"] != "0"] == [
        "10,000 to <100,000",
        "100,000 and over",
    ]
    top = run_report(
        warehouse, MANAGER, "top_customers", parse("top_customers", "2025-01-01", "2025-01-31")
    )
    by_balance, by_flow = top.tables
    assert _cells(
        by_balance.rows, "rank", "customer_id", "segment", "accounts", "balance", "currency"
    ) == [
        ("1", "c3", "retiree", "1", "50.00", "EUR"),  # a3 is closed: only a4 counts
        ("1", "c5", "unknown", "3", "200001.00", "USD"),
        ("2", "c4", "salaried", "2", "1.03", "USD"),  # ties with c6: the smaller id first
        ("3", "c6", "student", "1", "1.03", "USD"),
        ("4", "c1", "retiree", "2", "1.01", "USD"),
        ("5", "c2", "unknown", "1", "-2.50", "USD"),
    ]
    assert _cells(
        by_flow.rows, "rank", "customer_id", "money_in", "money_out", "flow", "net", "currency"
    ) == [
        ("1", "c3", "50.00", "0.00", "50.00", "50.00", "EUR"),
        ("1", "c5", "200001.00", "0.00", "200001.00", "200001.00", "USD"),
        ("2", "c2", "1.00", "3.50", "4.50", "-2.50", "USD"),
        ("3", "c3", "1.04", "1.04", "2.08", "0.00", "USD"),
        ("4", "c4", "1.03", "0.00", "1.03", "1.03", "USD"),  # ties with c6
        ("5", "c6", "1.03", "0.00", "1.03", "1.03", "USD"),
        ("6", "c1", "1.01", "0.00", "1.01", "1.01", "USD"),
    ]


def test_days_and_openings_in_the_reporting_time_zone(tmp_path):
    """a5 opened at 23:00 UTC on 31 January: 1 February in Tokyo, so not yet there then."""
    tokyo = _handmade(tmp_path, TOKYO)
    end = run_report(
        tokyo, MANAGER, "balances", parse("balances", "2025-01-31", "2025-01-31", "day")
    )
    assert _cells(end.rows, "account_type", "segment", "accounts", "total")[0] == (
        "checking",
        "retiree",
        "1",
        "1.01",
    )


def test_over_http_both_reports_answer_json_csv_and_a_page(app, app_bank, client):
    """On both stores: a customer's JSON row, the further tables, CSV, and the page."""
    from conftest import new_customer
    from flaskbank.services import postings
    from test_staff_support import IP, staff_client, staff_token, with_staff

    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    ada = new_customer(app_bank, "Ada Lovelace", deposit="120.50")
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="20.25")
    bob = new_customer(app_bank, "Bob Babbage", deposit="10.00")
    feed.sync(app_bank.store, app.extensions["warehouse"])
    today = app_bank.now()[:10]
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)

    def get(name, **query):  # type: ignore[no-untyped-def]
        return client.get(
            f"/api/v1/staff/reports/{name}",
            query_string={"from": today, "to": today, "period": "day", **query},
            headers={"Authorization": f"Bearer {token}"},
            environ_base={"REMOTE_ADDR": IP},
        )

    body = get("balances").get_json()
    [row] = body["rows"]
    assert (row["account_type"], row["segment"], row["accounts"], row["total"]) == (
        "checking",
        "unknown",
        "2",
        "110.25",
    )
    assert (row["average"], row["median"], row["min"], row["max"]) == (
        "55.12",  # 55.125, half-even
        "55.12",
        "10.00",
        "100.25",
    )
    assert set(body["tables"]) == {"totals", "distribution"}
    assert get("balances", account_type="loan").status_code == 422
    assert get("balances", segment="unknown").get_json()["rows"] == [row]
    csv = get("balances", format="csv").get_data(as_text=True)
    assert 'checking,USD,"100 to <1,000",1,100.25' in csv
    top = get("top_customers").get_json()
    assert [(r["customer_id"], r["balance"]) for r in top["rows"]] == [
        (ada.user_id, "100.25"),
        (bob.user_id, "10.00"),
    ]
    assert top["tables"]["by_flow"]["rows"][0]["flow"] == "140.75"
    for name in ("balances", "top_customers"):
        page = browser.get(f"/staff/reports/{name}?from={today}&to={today}&period=day")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "100.25" in html and "<script" not in html
        assert ('<figure class="chart">' in html) == (name == "balances")


def test_a_warehouse_never_synced_answers_empty_tables(tmp_path):
    empty = warehouse_in(tmp_path)
    for name in ("balances", "top_customers"):
        report = run_report(empty, MANAGER, name, parse(name, "2025-01-01", "2025-03-01"))
        assert report.tables and all(t.rows == [] for t in report.tables)
