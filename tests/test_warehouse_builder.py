"""The report builder from the warehouse, recomputed straight from the store for a small
generated bank (its transactions, accounts and the segments its feed carries) and compared
to the cent, for every metric, grouping and filter; and its checks of what goes together."""

from __future__ import annotations

from datetime import date

import pytest

from flaskbank.domain.accounts import Role, User
from flaskbank.domain.chart import is_internal
from flaskbank.domain.errors import ValidationFailed
from flaskbank.domain.events import EventKind
from flaskbank.domain.money import Money
from flaskbank.services.analytics import builder, feed
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from warehouse_support import parse, periods, run_report, warehouse_in

MANAGER = User("fm", "fm@bank.example", "F M", "x", Role.FINANCIAL_MANAGER, "2024-01-01")


@pytest.fixture(scope="module")
def bank_and_truth(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A generated bank of 30 customers over 14 months, its warehouse, and straight from the
    store: every customer leg as a dict, and every customer's (sign-up day, segment)."""
    where = tmp_path_factory.mktemp("builder")
    store = SqliteStore(where / "bank.db")
    store.init_schema()
    load_bank(store, Options(30, 14, 5, start=date(2024, 6, 10)), LOCKED)
    warehouse = warehouse_in(where)
    feed.sync(store, warehouse, limit=2000)
    segments, customers, after = {}, {}, None
    while (page := store.events.read(after=after, limit=5000)).events:
        for event in page.events:
            if event.kind is EventKind.USER_REGISTERED and event.payload.get("role") == "customer":
                segment = str(event.payload.get("segment") or "unknown")
                segments[event.subject] = segment
                customers[event.subject] = (date.fromisoformat(event.at[:10]), segment)
        after = page.checkpoint
    accounts = {a.id: a for a in store.ledger.all_accounts()}
    legs = [
        {
            "day": date.fromisoformat(tx.created_at[:10]),
            "tx": tx.id,
            "type": tx.type.value,
            "customer": accounts[e.account_id].user_id,
            "account_type": accounts[e.account_id].type.value,
            "segment": segments.get(accounts[e.account_id].user_id, "unknown"),
            "amount": e.amount.minor,
            "currency": e.amount.currency,
        }
        for tx in store.ledger.all_transactions()
        for e in tx.entries
        if not is_internal(e.account_id)
    ]
    yield warehouse, legs, customers
    store.close()


def _value(metric: str, legs: list[dict]) -> int:  # type: ignore[type-arg]
    if metric == "deposits":
        return sum(leg["amount"] for leg in legs if leg["type"] == "deposit")
    if metric == "withdrawals":
        return -sum(leg["amount"] for leg in legs if leg["type"] == "withdrawal")
    if metric in ("net_flow", "closing_balance"):
        return sum(leg["amount"] for leg in legs)
    if metric == "transactions":
        return len({leg["tx"] for leg in legs})
    return len({leg["customer"] for leg in legs})  # active customers


def _expected(truth, metric, first, last, period, group_by=None, **filters):  # type: ignore[no-untyped-def]
    _, legs, customers = truth
    covered = periods(date.fromisoformat(first), date.fromisoformat(last), period)
    since, until = covered[0][0], covered[-1][1]
    if metric == "new_customers":
        legs = [
            {"day": day, "segment": segment, "currency": None, "customer": user}
            for user, (day, segment) in customers.items()
        ]
    legs = [leg for leg in legs if all(leg[k] == v for k, v in filters.items())]
    if metric == "deposits":
        legs = [leg for leg in legs if leg["type"] == "deposit"]
    if metric == "withdrawals":
        legs = [leg for leg in legs if leg["type"] == "withdrawal"]
    counted = [
        leg
        for leg in legs
        if leg["day"] <= until and (metric == "closing_balance" or leg["day"] >= since)
    ]
    keys = sorted(
        {(leg[group_by] if group_by else None, leg["currency"]) for leg in counted},
        key=lambda k: (k[0] or "", k[1] or ""),
    )
    rows = []
    for start, end in covered:
        for group, currency in keys:
            mine = [
                leg
                for leg in counted
                if (leg[group_by] if group_by else None) == group
                and leg["currency"] == currency
                and leg["day"] <= end
                and (metric == "closing_balance" or leg["day"] >= start)
            ]
            value = len(mine) if metric == "new_customers" else _value(metric, mine)
            money = metric in ("deposits", "withdrawals", "net_flow", "closing_balance")
            rows.append(
                {
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "group": group if group_by else "all",
                    "currency": currency,
                    "value": str(Money.from_minor(value, currency)) if money else str(value),
                }
            )
    return rows


CASES = [
    ("deposits", "2024-06-10", "2025-08-09", "month", None, {}),
    ("deposits", "2024-12-23", "2025-01-12", "week", "account_type", {}),
    ("withdrawals", "2024-06-10", "2025-08-09", "quarter", "segment", {}),
    ("net_flow", "2024-06-10", "2025-08-09", "month", "account_type", {"type": "transfer"}),
    ("net_flow", "2025-02-26", "2025-03-04", "day", None, {"currency": "USD"}),
    ("transactions", "2024-06-10", "2025-08-09", "month", "account_type", {}),
    ("transactions", "2024-06-10", "2025-08-09", "quarter", None, {"type": "transfer"}),
    ("transactions", "2024-06-10", "2025-08-09", "week", None, {}),
    ("transactions", "2024-06-10", "2025-08-09", "month", "segment", {"account_type": "checking"}),
    ("transactions", "2024-06-10", "2025-08-09", "quarter", "account_type", {"type": "transfer"}),
    ("transactions", "2024-06-10", "2025-08-09", "month", "segment", {"type": "deposit"}),
    ("transactions", "2024-06-10", "2025-08-09", "month", None, {"account_type": "savings"}),
    ("active_customers", "2024-06-10", "2025-08-09", "month", None, {"segment": "salaried"}),
    ("active_customers", "2024-06-10", "2025-08-09", "year", "segment", {}),
    ("new_customers", "2024-06-10", "2025-08-09", "month", "segment", {}),
    ("new_customers", "2024-06-10", "2025-08-09", "quarter", None, {"segment": "student"}),
    ("closing_balance", "2024-06-10", "2025-08-09", "quarter", "account_type", {}),
    (
        "closing_balance",
        "2025-01-01",
        "2025-06-30",
        "month",
        "segment",
        {"account_type": "savings"},
    ),
    ("closing_balance", "2019-01-01", "2027-12-31", "year", None, {}),  # years with no data
    ("deposits", "2019-01-01", "2020-12-31", "year", None, {}),  # nothing at all in range
]


@pytest.mark.parametrize(("metric", "first", "last", "period", "group_by", "filters"), CASES)
def test_the_builder_matches_the_store_to_the_cent(
    bank_and_truth, metric, first, last, period, group_by, filters
):
    warehouse = bank_and_truth[0]
    params = {"metric": metric, **({"group_by": group_by} if group_by else {}), **filters}
    report = run_report(
        warehouse, MANAGER, "builder", parse("builder", first, last, period, **params)
    )
    expected = _expected(bank_and_truth, metric, first, last, period, group_by, **filters)
    assert report.rows == expected
    if first.startswith("2024"):
        assert any(row["value"] not in ("0", "0.00") for row in report.rows)
    assert report.columns == ("period_start", "period_end", "group", "currency", "value")


def test_the_last_closing_balance_is_every_customers_balance(bank_and_truth):
    warehouse, legs, _ = bank_and_truth
    report = run_report(
        warehouse,
        MANAGER,
        "builder",
        parse("builder", "2025-08-01", "2025-08-31", metric="closing_balance"),
    )
    [row] = report.rows
    assert row["value"] == str(Money.from_minor(sum(leg["amount"] for leg in legs), "USD"))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "revenue"}, "metric"),
        ({"group_by": "weekday"}, "group_by"),
        ({"metric": "deposits", "type": "transfer"}, "type"),
        ({"metric": "closing_balance", "type": "deposit"}, "type"),
        ({"metric": "new_customers", "group_by": "account_type"}, "group_by"),
        ({"metric": "new_customers", "currency": "USD"}, "currency"),
        ({"metric": "new_customers", "account_type": "savings"}, "account_type"),
        ({"metric": "transactions", "currency": "XYZ"}, "currency"),
        ({"segment": "pirates"}, "segment"),
    ],
)
def test_a_combination_the_builder_cannot_answer_names_its_field(params, field):
    with pytest.raises(ValidationFailed) as refused:
        parse("builder", "2025-01-01", "2025-03-31", "month", **params)
    assert field in refused.value.errors


def test_the_segments_are_the_generators():
    from flaskbank.synthetic.people import Segment

    assert set(builder.SEGMENTS) == {s.value for s in Segment} | {"unknown"}


def test_tabulate_fills_empty_periods_and_runs_net_flows_into_balances():
    from flaskbank.warehouse.base import Measured

    covered = [(date(2025, 2, 1), date(2025, 2, 28)), (date(2025, 3, 1), date(2025, 3, 31))]
    measured = [
        Measured(date(2024, 11, 1), "savings", "USD", 500),  # before the range: opening
        Measured(date(2025, 3, 1), "checking", "USD", 120),
        Measured(date(2025, 3, 1), "savings", "USD", -50),
    ]
    closing = builder.tabulate(measured, covered, running=True)
    assert [(r.period_start.month, r.group, r.value) for r in closing] == [
        (2, "checking", 0),
        (2, "savings", 500),
        (3, "checking", 120),
        (3, "savings", 450),
    ]
    flows = builder.tabulate(measured[1:], covered, running=False)
    assert [(r.period_start.month, r.group, r.value) for r in flows] == [
        (2, "checking", 0),
        (2, "savings", 0),
        (3, "checking", 120),
        (3, "savings", -50),
    ]
