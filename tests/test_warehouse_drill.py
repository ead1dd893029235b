"""The drill-down: every deposit growth figure opens entries whose named total equals it to
the cent; the totals agree with the store's own transactions under every kind of filter;
pages walked to either end list each entry of the filter exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from flaskbank.domain.accounts import Role, User
from flaskbank.domain.chart import is_internal
from flaskbank.domain.errors import NotPermitted, ValidationFailed
from flaskbank.services.analytics import drilldown
from flaskbank.services.analytics.catalog import Drill, Spec
from flaskbank.services.analytics.entry_params import cursor, params, parse
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.warehouse.entries import EntryFilter, EntryTotals, Measure, Side
from warehouse_support import parse as parse_report
from warehouse_support import run_report, warehouse_in

MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


@pytest.fixture(scope="module")
def bank(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small generated bank over 14 months, its warehouse, and every customer leg straight
    from the store as a dict (day in UTC, the reporting zone here)."""
    from flaskbank.services.analytics import feed

    where = tmp_path_factory.mktemp("drill")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(24, 14, 5, start=date(2024, 11, 15)), LOCKED)
    _euro_customers(store)
    warehouse = warehouse_in(where)
    feed.sync(store, warehouse)
    accounts: dict[str, object] = {}
    legs = []
    for tx in store.ledger.all_transactions():
        for e in tx.entries:
            if is_internal(e.account_id):
                continue
            if e.account_id not in accounts:
                accounts[e.account_id] = store.ledger.get_account(e.account_id)
            account = accounts[e.account_id]
            legs.append(
                {
                    "tx": tx.id,
                    "account": e.account_id,
                    "customer": account.user_id,  # type: ignore[attr-defined]
                    "account_type": account.type.value,  # type: ignore[attr-defined]
                    "day": date.fromisoformat(tx.created_at[:10]),
                    "type": tx.type.value,
                    "amount": e.amount.minor,
                    "currency": e.amount.currency,
                }
            )
    yield warehouse, legs
    store.close()


def _euro_customers(store) -> None:  # type: ignore[no-untyped-def]
    """The generator banks in dollars: three customers in euros, moving money over the year
    after (the feed's time only moves on), make a second currency with its own transfers."""
    from conftest import at, new_customer
    from flaskbank.bootstrap import bootstrap
    from flaskbank.config import Config
    from flaskbank.passwords import FastHasher
    from flaskbank.services import postings

    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    with at(bank, datetime(2026, 1, 2, 9, tzinfo=UTC)):
        people = [new_customer(bank, f"Euro {n}", "500.00", "EUR") for n in "ABC"]
    for month in range(12):
        moment = datetime(2026, month + 1, 3 + month, 21, tzinfo=UTC)
        with at(bank, moment):
            a, b, c = people[month % 3], people[(month + 1) % 3], people[(month + 2) % 3]
            postings.deposit(bank, a.user_id, a.account_id, amount=f"{40 + month}.15")
            postings.withdraw(bank, b.user_id, b.account_id, amount=f"{10 + month}.05")
            postings.transfer(
                bank, c.user_id, c.account_id, to_account_number=a.account_number, amount="7.77"
            )


def _expected(legs, f: EntryFilter) -> list[EntryTotals]:  # type: ignore[no-untyped-def]
    """EntryTotals computed in Python from the store's legs (segments are not checked here)."""
    chosen = [
        leg
        for leg in legs
        if (f.first is None or leg["day"] >= f.first)
        and (f.last is None or leg["day"] <= f.last)
        and (not f.currency or leg["currency"] == f.currency)
        and (not f.types or leg["type"] in f.types)
        and (not f.account_type or leg["account_type"] == f.account_type)
        and (not f.customer_id or leg["customer"] == f.customer_id)
        and (not f.account_id or leg["account"] == f.account_id)
        and (
            f.side is Side.ALL
            or (f.side is Side.CREDITS and leg["amount"] > 0)
            or (f.side is Side.DEBITS and leg["amount"] < 0)
        )
    ]
    found = []
    for currency in sorted({leg["currency"] for leg in chosen}):
        mine = [leg for leg in chosen if leg["currency"] == currency]
        amounts = [leg["amount"] for leg in mine]
        found.append(
            EntryTotals(
                currency,
                len(mine),
                len({leg["tx"] for leg in mine}),
                sum(amounts),
                sum(a for a in amounts if a > 0),
                -sum(a for a in amounts if a < 0),
            )
        )
    return found


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        ("2024-11-15", "2026-12-31", "month"),
        ("2025-12-25", "2026-01-08", "day"),  # a new year, and euros begin
        ("2026-02-20", "2026-03-20", "week"),
        ("2024-10-01", "2027-03-31", "quarter"),
    ],
)
def test_every_figure_drills_to_entries_whose_total_equals_it(bank, first, last, period):
    warehouse, _ = bank
    asked = parse_report("deposit_growth", first, last, period)
    report = run_report(warehouse, MANAGER, "deposit_growth", asked)
    spec = drilldown_spec()
    [per_row] = drilldown.drills(spec, asked, report.tables)
    checked = Counter[str]()
    with warehouse.reading() as reader:
        for row, cells in zip(report.rows, per_row, strict=True):
            assert set(cells) == {"deposits", "withdrawals", "net_flow", "closing_balance"}
            for column, drill in cells.items():
                totals = reader.entry_totals(drill.entries)
                got = drilldown.figure(totals, drill.measure, drill.entries.currency)
                assert got == row[column], (row, column, drill)
                checked[column] += row[column] != "0.00"
    assert min(checked.values()) >= 1, checked  # real figures, not only zeros
    assert len({r["currency"] for r in report.rows}) >= 2


def drilldown_spec() -> Spec:
    from flaskbank.services.analytics import reports

    return reports.spec("deposit_growth")


def _filters(legs):  # type: ignore[no-untyped-def]
    first_leg = legs[len(legs) // 2]
    transfer = next(leg for leg in legs if leg["type"] == "transfer")
    return [
        EntryFilter(),
        EntryFilter(date(2025, 3, 1), date(2025, 3, 31)),
        EntryFilter(date(2025, 3, 1), date(2025, 5, 31), "USD", ("transfer",)),
        EntryFilter(date(2026, 3, 1), None, "EUR"),
        EntryFilter(None, date(2025, 6, 30), side=Side.CREDITS),
        EntryFilter(types=("transfer", "withdrawal"), side=Side.DEBITS),
        EntryFilter(account_type="savings"),
        EntryFilter(account_type="checking", types=("transfer",)),
        EntryFilter(customer_id=first_leg["customer"]),
        EntryFilter(customer_id=transfer["customer"], types=("transfer",)),
        EntryFilter(account_id=transfer["account"]),
        EntryFilter(account_id=first_leg["account"], side=Side.DEBITS, last=date(2025, 9, 1)),
    ]


def test_the_totals_match_the_store_under_every_kind_of_filter(bank):
    warehouse, legs = bank
    with warehouse.reading() as reader:
        for f in _filters(legs):
            assert reader.entry_totals(f) == _expected(legs, f), f
            assert all(t.amount == t.credits - t.debits for t in reader.entry_totals(f))


def test_segments_filter_by_the_customers_segment(bank):
    warehouse, legs = bank
    with warehouse.reading() as reader:
        segments = dict(reader.con.execute("SELECT user_id, segment FROM customers").fetchall())
        for segment in sorted({s for s in segments.values() if s})[:2]:
            mine = [leg for leg in legs if segments.get(leg["customer"]) == segment]
            [totals] = reader.entry_totals(EntryFilter(currency="USD", segment=segment)) or [None]
            usd = [leg for leg in mine if leg["currency"] == "USD"]
            assert totals is not None and totals.entries == len(usd)
            assert totals.transactions == len({leg["tx"] for leg in usd})
            page = reader.entry_page(EntryFilter(segment=segment), older=None, newer=None, size=500)
            assert {e.segment for e in page.entries} == {segment}


def _walk(warehouse, f: EntryFilter, size: int):  # type: ignore[no-untyped-def]
    """Every page from the newest by Older links, then back by Newer links."""
    pages = [drilldown.list_entries(warehouse, MANAGER, parse({**params(f), "size": str(size)}))]
    while pages[-1].older:
        mark = cursor(pages[-1].older)
        pages.append(
            drilldown.list_entries(
                warehouse, MANAGER, parse({**params(f), "size": str(size), "older": mark})
            )
        )
    back = [pages[-1]]
    while back[-1].newer:
        mark = cursor(back[-1].newer)
        back.append(
            drilldown.list_entries(
                warehouse, MANAGER, parse({**params(f), "size": str(size), "newer": mark})
            )
        )
    return pages, back


@pytest.mark.parametrize("size", [7, 50])
def test_the_pages_walked_to_either_end_list_exactly_the_counted_entries(bank, size):
    warehouse, legs = bank
    f = EntryFilter(date(2025, 4, 1), date(2025, 5, 15), "USD")
    pages, back = _walk(warehouse, f, size)
    keys = [e.key for p in pages for e in p.entries]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys, reverse=True)
    assert all(len(p.entries) == size for p in pages[:-1]) and 0 < len(pages[-1].entries) <= size
    [totals] = pages[0].totals
    assert len(keys) == totals.entries and totals == _expected(legs, f)[0]
    assert sum(e.amount for p in pages for e in p.entries) == totals.amount
    assert {(k.transaction_id, k.account_id) for k in keys} == {
        (leg["tx"], leg["account"]) for leg in legs if _in(leg, f)
    }
    assert pages[0].newer is None and pages[-1].older is None
    # Newer links walk back over the same entries.
    assert [e.key for p in reversed(back) for e in p.entries] == keys


def _in(leg, f: EntryFilter) -> bool:  # type: ignore[no-untyped-def]
    return f.first <= leg["day"] <= f.last and leg["currency"] == f.currency  # type: ignore[operator]


def test_a_drill_of_an_amount_names_its_currency_and_entries_is_no_report_name():
    with pytest.raises(ValueError, match="currency"):
        Drill(EntryFilter(), Measure.AMOUNT)
    Drill(EntryFilter(), Measure.TRANSACTIONS)
    spec = drilldown_spec()
    with pytest.raises(ValueError, match="entries"):
        Spec("entries", "t", "s", spec.columns, spec.build)


def test_only_reporting_roles_may_list_entries(bank):
    warehouse, _ = bank
    analyst = User("u", "u@bank.example", "U", "x", Role.FRAUD_ANALYST, "2024-01-01")
    with pytest.raises(NotPermitted):
        drilldown.list_entries(warehouse, analyst, parse({}))


def test_parameters_written_back_are_read_the_same():
    f = EntryFilter(
        date(2025, 1, 1),
        date(2025, 1, 31),
        "EUR",
        ("deposit", "transfer"),
        "savings",
        "student",
        "c-1",
        "a_2",
        Side.DEBITS,
    )
    assert parse(params(f)).where == f
    assert parse({}).where == EntryFilter() and parse({}).size == 50


def cursor_of(posted: str) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{posted}|tx|acc".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2025-02-30"}, "from"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "to"),
        ({"to": "yesterday"}, "to"),
        ({"size": "100000"}, "size"),
        ({"size": "0"}, "size"),
        ({"size": "-5"}, "size"),
        ({"size": "５"}, "size"),
        ({"type": "deposit,loan"}, "type"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XXX"}, "currency"),
        ({"side": "both"}, "side"),
        ({"account_type": "gold"}, "account_type"),
        ({"measure": "median"}, "measure"),
        ({"segment": "x' OR '1'='1"}, "segment"),
        ({"customer_id": "1; DROP TABLE entries"}, "customer_id"),
        ({"account_id": "a" * 65}, "account_id"),
        ({"older": "not-a-mark"}, "older"),
        ({"newer": "MjAyNS0wMS0wMXwnOyBEUk9QfHg"}, "newer"),  # "2025-01-01|'; DROP|x"
        ({"older": cursor_of("2025-01-01T00:00:00+02:00")}, "older"),
    ],
)
def test_hostile_parameters_name_their_field(args, field):
    with pytest.raises(ValidationFailed) as refused:
        parse(args)
    assert field in refused.value.errors
