"""Transaction volume and customer activity from the warehouse, recomputed straight from the
store's transactions, users and accounts for a generated bank and compared exactly, over
period boundaries, the Tokyo calendar and years with no data; and customer activity's
thresholds and closed accounts on hand-made facts, to the day."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from flaskbank.domain.accounts import Role
from flaskbank.domain.chart import is_internal
from flaskbank.domain.events import EventKind, StoredEvent
from flaskbank.domain.ledger import parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.services.analytics import feed
from flaskbank.services.analytics.customer_activity import ACTIVE_DAYS, CHURNED_DAYS
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.base import SPELL_GAP_DAYS
from flaskbank.warehouse.duck import DuckWarehouse
from test_warehouse_report import make_staff_user
from warehouse_support import parse, period_end, run_report, warehouse_in

TOKYO = "Asia/Tokyo"
TYPES = ("deposit", "withdrawal", "transfer")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture(scope="module")
def bank(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small generated bank over 14 months, its warehouses in UTC and in Tokyo, and what
    the store says: every transaction as (UTC time, type, minor units, currency, owners of
    its customer legs), every customer with their signup time, and every customer's accounts
    as (opened, closed or None): a leaver who takes their money has the bank close them."""
    where = tmp_path_factory.mktemp("volume")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(30, 14, 5, start=date(2024, 11, 20)), LOCKED)
    utc = warehouse_in(where)
    feed.sync(store, utc, limit=700)  # many batches: their seams must not show
    tokyo = DuckWarehouse(where / "tokyo" / "warehouse.duckdb", timezone=TOKYO)
    feed.sync(store, tokyo)
    owner = {a.id: a.user_id for a in store.ledger.all_accounts()}
    transactions = [
        (
            parse_utc_iso(tx.created_at),
            tx.type.value,
            tx.amount.minor,
            tx.amount.currency,
            {owner[e.account_id] for e in tx.entries if not is_internal(e.account_id)},
        )
        for tx in store.ledger.all_transactions()
    ]
    customers, cursor = {}, None
    while True:
        page = store.users.list_users(limit=50, cursor=cursor)
        customers |= {
            u.id: parse_utc_iso(u.created_at) for u in page.items if u.role is Role.CUSTOMER
        }
        cursor = page.next_cursor
        if not cursor:
            break
    closed, after = {}, None
    while (events := store.events.read(after=after, limit=1000)).events:
        closed |= {
            e.subject: parse_utc_iso(e.at)
            for e in events.events
            if e.kind is EventKind.ACCOUNT_STATUS_CHANGED and e.payload["status"] == "closed"
        }
        after = events.checkpoint
    assert closed  # seed 5 has leavers who take their money
    accounts = defaultdict(list)
    for a in store.ledger.all_accounts():
        accounts[a.user_id].append((parse_utc_iso(a.opened_at), closed.get(a.id)))
    yield {"UTC": utc, TOKYO: tokyo}, transactions, customers, accounts
    store.close()


def _local(moment, zone: str):  # type: ignore[no-untyped-def]
    return moment.astimezone(ZoneInfo(zone))


def _period_start(day: date, period: str) -> date:
    start = day
    while period_end(start - timedelta(days=1), period) == period_end(day, period):
        start -= timedelta(days=1)
    return start


def _expected_volume(transactions, zone, first, last, period, only):  # type: ignore[no-untyped-def]
    types = (only,) if only else TYPES
    start, end = _period_start(first, period), period_end(last, period)
    periods, hours, weekdays = defaultdict(int), defaultdict(int), defaultdict(int)
    counts: dict[tuple[object, ...], int] = defaultdict(int)
    currencies = set()
    for moment, type_, minor, currency, _ in transactions:
        local = _local(moment, zone)
        if type_ not in types or not start <= local.date() <= end:
            continue
        currencies.add(currency)
        for totals, key in (
            (periods, _period_start(local.date(), period)),
            (hours, local.hour),
            (weekdays, local.weekday()),
        ):
            totals[key, type_, currency] += minor
            counts[id(totals), key, type_, currency] += 1

    def rows(totals, keys, name):  # type: ignore[no-untyped-def]
        return [
            {
                **name(key),
                "type": t,
                "currency": c,
                "transactions": str(counts[id(totals), key, t, c]),
                "amount": str(Money.from_minor(totals[key, t, c], c)),
            }
            for key in keys
            for t in types
            for c in sorted(currencies)
        ]

    starts, day = [], start
    while day <= end:
        starts.append(day)
        day = period_end(day, period) + timedelta(days=1)
    return (
        rows(
            periods,
            starts,
            lambda s: {
                "period_start": s.isoformat(),
                "period_end": period_end(s, period).isoformat(),
            },
        ),
        rows(hours, range(24), lambda h: {"hour": str(h)}),
        rows(weekdays, range(7), lambda w: {"weekday": WEEKDAYS[w]}),
    )


@pytest.mark.parametrize(
    ("first", "last", "period", "only"),
    [
        ("2024-11-20", "2026-01-19", "month", ""),
        ("2025-02-26", "2025-03-03", "day", ""),  # over the end of February
        ("2024-12-23", "2025-01-12", "week", "transfer"),  # ISO weeks across the new year
        ("2024-12-31", "2025-12-31", "quarter", "withdrawal"),
        ("2021-06-01", "2027-06-30", "year", "deposit"),  # years with no data on both sides
    ],
)
@pytest.mark.parametrize("zone", ["UTC", TOKYO])
def test_transaction_volume_matches_the_store(bank, zone, first, last, period, only):
    warehouses, transactions, _, _ = bank
    asked = parse("transaction_volume", first, last, period, **({"type": only} if only else {}))
    report = run_report(warehouses[zone], make_staff_user(), "transaction_volume", asked)
    by_period, by_hour, by_weekday = _expected_volume(
        transactions, zone, date.fromisoformat(first), date.fromisoformat(last), period, only
    )
    assert report.rows == by_period
    assert [t.name for t in report.tables[1:]] == ["by_hour", "by_weekday"]
    assert report.tables[1].rows == by_hour
    assert report.tables[2].rows == by_weekday
    assert any(row["transactions"] != "0" for row in report.rows)


def test_a_transfer_counts_once_with_its_amount(bank):
    warehouses, transactions, _, _ = bank
    report = run_report(
        warehouses["UTC"],
        make_staff_user(),
        "transaction_volume",
        parse("transaction_volume", "2020-01-01", "2029-12-31", "year", type="transfer"),
    )
    transfers = [t for t in transactions if t[1] == "transfer"]
    assert transfers and sum(int(r["transactions"]) for r in report.rows) == len(transfers)
    total = sum(minor for _, _, minor, _, _ in transfers)
    assert sum(Money.of(r["amount"], "USD").minor for r in report.rows) == total


def _expected_activity(transactions, customers, accounts, zone, ends):  # type: ignore[no-untyped-def]
    """The categories from entries, and churned for a customer every one of whose accounts
    opened by the end was closed by then (docs/analytics.md)."""
    days = defaultdict(set)
    for moment, _, _, _, owners in transactions:
        for owner in owners:
            days[owner].add(_local(moment, zone).date())
    rows = []
    for end in ends:
        counts = dict.fromkeys(("active", "dormant", "churned", "never_active"), 0)
        signed = [c for c, at in customers.items() if _local(at, zone).date() <= end]
        for c in signed:
            before = [d for d in days[c] if d <= end]
            opened = [shut for at, shut in accounts[c] if _local(at, zone).date() <= end]
            if opened and all(shut and _local(shut, zone).date() <= end for shut in opened):
                counts["churned"] += 1
            elif not before:
                counts["never_active"] += 1
            elif (end - max(before)).days < ACTIVE_DAYS:
                counts["active"] += 1
            elif (end - max(before)).days < CHURNED_DAYS:
                counts["dormant"] += 1
            else:
                counts["churned"] += 1
        rows.append((end.isoformat(), len(signed), counts))
    return rows


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2024-11-01", "2027-03-31", "month"),  # the bank's life and two quiet years after
        ("2024-11-18", "2024-12-08", "day"),  # the first customers signing up
        ("2025-12-22", "2026-01-11", "week"),
        ("2024-01-01", "2028-12-31", "quarter"),
        ("2022-01-01", "2027-12-31", "year"),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", TOKYO])
def test_customer_activity_matches_the_store(bank, zone, first, last, period):
    warehouses, transactions, customers, accounts = bank
    report = run_report(
        warehouses[zone],
        make_staff_user(),
        "customer_activity",
        parse("customer_activity", first, last, period),
    )
    ends = [date.fromisoformat(r["period_end"]) for r in report.rows]
    assert ends[0] == period_end(date.fromisoformat(first), period)
    assert ends[-1] == period_end(date.fromisoformat(last), period)
    expected = _expected_activity(transactions, customers, accounts, zone, ends)
    for row, (end, signed, counts) in zip(report.rows, expected, strict=True):
        assert (row["period_end"], row["customers"]) == (end, str(signed))
        assert {k: int(row[k]) for k in counts} == counts, end  # type: ignore[arg-type]


def test_every_category_is_reached_and_shares_add_up(bank):
    warehouses, _, _, _ = bank
    report = run_report(
        warehouses["UTC"],
        make_staff_user(),
        "customer_activity",
        parse("customer_activity", "2024-11-19", "2027-01-31", "day"),
    )
    for name in ("active", "dormant", "churned"):  # never active: generated customers pay in
        assert any(row[name] != "0" for row in report.rows), name  # on their first day
    row = next(r for r in report.rows if r["dormant"] != "0" and r["active"] != "0")
    parts = [row[f"{n}_pct"] for n in ("active", "dormant", "churned", "never_active")]
    assert abs(sum(float(p) for p in parts) - 100) < 0.05  # type: ignore[arg-type]
    assert report.rows[0]["customers"] == "0" and report.rows[0]["active_pct"] is None


END = date(2025, 6, 30)


def _at(day: date, hour: int = 12) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000000Z"


def _events(people: dict[str, dict[str, object]]) -> list[StoredEvent]:
    """Customers signed up 400 days before END, each with accounts (opened then, or when
    given), a deposit of 1.00 on each of the given days and account closings."""
    events: list[tuple[str, str, str, dict[str, object]]] = []
    signup = END - timedelta(days=400)
    for user, plan in people.items():
        joined = plan.get("joined", signup)
        events.append(("user_registered", user, _at(joined, 1), {"role": "customer"}))  # type: ignore[arg-type]
        for account, opened in plan.get("accounts", {f"{user}-a": joined}).items():  # type: ignore[attr-defined]
            opening = {"user_id": user, "type": "checking", "currency": "USD"}
            events.append(("account_opened", account, _at(opened, 2), opening))
        for n, day in enumerate(plan.get("days", ())):  # type: ignore[arg-type]
            leg = {"account_id": f"{user}-a", "amount": "1.00"}
            legs = [leg, {"account_id": "bank-cash", "amount": "-1.00"}]
            posting = {"transaction_id": f"{user}-{day}-{n}", "type": "deposit", "currency": "USD"}
            events.append(("transaction_posted", f"{user}-a", _at(day), {**posting, "legs": legs}))
        for account, day in plan.get("closed", {}).items():  # type: ignore[attr-defined]
            events.append(("account_status_changed", account, _at(day, 23), {"status": "closed"}))
    return [
        StoredEvent(kind, subject, at, json.dumps(payload), str(n))
        for n, (kind, subject, at, payload) in enumerate(events)
    ]


PEOPLE: dict[str, dict[str, object]] = {
    "active-89": {"days": [END - timedelta(days=200), END - timedelta(days=89)]},
    "dormant-90": {"days": [END - timedelta(days=90)]},
    "dormant-364": {"days": [END - timedelta(days=364)]},
    "churned-365": {"days": [END - timedelta(days=365)]},
    "never": {},
    "later": {"joined": END + timedelta(days=1)},
    "closed-active": {"days": [END - timedelta(days=1)], "closed": {"closed-active-a": END}},
    "closed-never": {"closed": {"closed-never-a": END - timedelta(days=5)}},
    "closed-tomorrow": {
        "days": [END - timedelta(days=100)],
        "closed": {"closed-tomorrow-a": END + timedelta(days=1)},
    },
    "one-of-two-closed": {
        "days": [END - timedelta(days=10)],
        "accounts": {"one-of-two-closed-a": END - timedelta(days=400), "spare": END},
        "closed": {"spare": END},
    },
    "both-closed": {
        "days": [END - timedelta(days=10)],
        "accounts": {"both-closed-a": END - timedelta(days=400), "second": END},
        "closed": {"both-closed-a": END, "second": END},
    },
    "reopened-with-new": {
        "days": [END - timedelta(days=30)],
        "accounts": {
            "reopened-with-new-a": END - timedelta(days=400),
            "new": END + timedelta(days=1),
        },
        "closed": {"reopened-with-new-a": END - timedelta(days=2)},
    },
}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):  # type: ignore[no-untyped-def]
    warehouse = warehouse_in(tmp_path_factory.mktemp("hand_made"))
    with warehouse.writing() as writer:
        writer.apply(_events(PEOPLE), after=None, reaches="1")
    return warehouse


def _activity(warehouse, first: str, last: str):  # type: ignore[no-untyped-def]
    asked = parse("customer_activity", first, last, "day")
    return run_report(warehouse, make_staff_user(), "customer_activity", asked).rows


def test_activity_thresholds_and_closed_accounts_to_the_day(hand_made):
    [row] = _activity(hand_made, END.isoformat(), END.isoformat())
    # active: active-89, one-of-two-closed (one account still open);
    # dormant: dormant-90, dormant-364, closed-tomorrow (closed after the end);
    # churned: churned-365, closed-active, closed-never, both-closed, reopened-with-new
    # (its new account opens after the end); never active: never; "later" not yet a customer.
    assert {k: row[k] for k in ("customers", "active", "dormant", "churned", "never_active")} == {
        "customers": "11",
        "active": "2",
        "dormant": "3",
        "churned": "5",
        "never_active": "1",
    }
    assert (row["active_pct"], row["churned_pct"]) == ("18.18", "45.45")


def test_the_day_after_a_new_account_and_a_closing_move_customers(hand_made):
    day = END + timedelta(days=1)
    [row] = _activity(hand_made, day.isoformat(), day.isoformat())
    # later signs up (never active); closed-tomorrow closes (churned); reopened-with-new has
    # an open account again (its last entry 31 days ago: active); active-89 is 90 days quiet
    # (dormant), dormant-364 365 days (churned).
    assert {k: row[k] for k in ("customers", "active", "dormant", "churned", "never_active")} == {
        "customers": "12",
        "active": "2",
        "dormant": "2",
        "churned": "6",
        "never_active": "2",
    }


def test_spells_do_not_depend_on_how_the_days_were_batched(tmp_path):
    days = [date(2025, 1, 1) + timedelta(days=n) for n in (0, 5, 40, 41, 100, 129, 130, 400)]
    one = warehouse_in(tmp_path, "one.duckdb")
    with one.writing() as writer:
        writer.apply(_events({"c": {"days": days}}), after=None, reaches="1")
    many = warehouse_in(tmp_path, "many.duckdb")
    customer, *postings = _events({"c": {"days": days}})
    with many.writing() as writer:
        # the customer and account first, then the days in a scrambled order, one batch each
        writer.apply([customer, postings[0]], after=None, reaches="0")
        for n, i in enumerate((7, 2, 0, 5, 3, 1, 6, 4)):
            writer.apply([postings[1 + i]], after=str(n), reaches=str(n + 1))

    def spells(warehouse):  # type: ignore[no-untyped-def]
        with warehouse.reading() as reader:
            return reader.con.execute(
                "SELECT first_day, last_day FROM activity_spells ORDER BY first_day"
            ).fetchall()

    gap = SPELL_GAP_DAYS
    assert gap == 30
    # 5 days apart: one spell; 35: a new one; 59: new; 29: the same; 270: new.
    assert (
        spells(one)
        == spells(many)
        == [
            (days[0], days[1]),
            (days[2], days[3]),
            (days[4], days[6]),
            (days[7], days[7]),
        ]
    )


def test_a_warehouse_of_an_older_schema_is_rebuilt_not_synced(hand_made):
    from flaskbank.warehouse.base import WarehouseError
    from flaskbank.warehouse.duck import warehouse as duck

    with hand_made.writing() as writer:
        writer.con.execute("UPDATE feed SET schema_version = ?", [duck.VERSION - 1])
    with pytest.raises(WarehouseError, match="rebuild"), hand_made.writing():
        pass
    with hand_made.writing(fresh=True):
        pass
    with hand_made.writing() as writer:
        assert writer.as_of().events == 0
