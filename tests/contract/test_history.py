"""History, statements and the global feed on every store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from conftest import new_customer
from flaskbank.domain.errors import ValidationFailed
from flaskbank.services import history, postings


def at(bank, moment: datetime):
    return replace(bank, clock=lambda: moment)


def test_history_is_newest_first_and_every_line_is_complete(bank):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    postings.transfer(
        bank,
        ada.user_id,
        ada.account_id,
        amount="20",
        to_account_number=bob.account_number,
        memo="Rent share",
    )
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="5")
    _, page = history.history(bank, ada.user_id, ada.account_id)
    assert [e.type.value for e in page.items] == ["withdrawal", "transfer", "deposit"]
    assert [str(e.amount) for e in page.items] == ["-5.00", "-20.00", "50.00"]
    assert [str(e.balance_after) for e in page.items] == ["25.00", "30.00", "50.00"]
    transfer_line = page.items[1]
    # The sender sees the recipient masked (domain.recipients).
    assert "Bob B. · ••••" in transfer_line.counterparty and transfer_line.memo == "Rent share"
    assert page.items[0].created_at >= page.items[1].created_at >= page.items[2].created_at
    assert page.next_cursor is None


def test_the_cursor_walks_every_line_exactly_once(bank):
    ada = new_customer(bank)
    posted = [
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"{i}.00").transaction.id
        for i in range(1, 24)
    ]
    seen, cursor = [], None
    while True:
        _, page = history.history(bank, ada.user_id, ada.account_id, limit=5, cursor=cursor)
        assert len(page.items) <= 5
        seen += [e.transaction_id for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(posted))


def test_a_page_that_ends_exactly_at_the_last_line_has_no_next_cursor(bank):
    ada = new_customer(bank)
    for _ in range(4):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="1")
    _, page = history.history(bank, ada.user_id, ada.account_id, limit=4)
    assert len(page.items) == 4 and page.next_cursor is None


def test_history_filters_by_type_and_by_day(bank):
    ada = new_customer(bank)
    days = [datetime(2026, 3, d, 12, tzinfo=UTC) for d in (1, 2, 3, 4)]
    for day in days:
        postings.deposit(at(bank, day), ada.user_id, ada.account_id, amount="10")
        postings.withdraw(
            at(bank, day + timedelta(hours=1)), ada.user_id, ada.account_id, amount="1"
        )
    _, page = history.history(bank, ada.user_id, ada.account_id, type="withdrawal")
    assert len(page.items) == 4 and {e.type.value for e in page.items} == {"withdrawal"}
    _, page = history.history(
        bank, ada.user_id, ada.account_id, since="2026-03-02", until="2026-03-03"
    )
    assert [e.created_at[:10] for e in page.items] == ["2026-03-03"] * 2 + ["2026-03-02"] * 2
    _, page = history.history(
        bank,
        ada.user_id,
        ada.account_id,
        since="2026-03-02",
        until="2026-03-03",
        type="deposit",
        limit=1,
    )
    assert page.items[0].created_at.startswith("2026-03-03") and page.next_cursor
    _, page = history.history(
        bank,
        ada.user_id,
        ada.account_id,
        since="2026-03-02",
        until="2026-03-03",
        type="deposit",
        limit=1,
        cursor=page.next_cursor,
    )
    assert page.items[0].created_at.startswith("2026-03-02") and page.next_cursor is None


@pytest.mark.parametrize(
    "args, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"type": "loan"}, "type"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJhIjoxfQ"}, "cursor"),
    ],
)
def test_bad_history_queries_name_the_field(bank, args, field):
    ada = new_customer(bank, deposit="1.00")
    with pytest.raises(ValidationFailed) as err:
        history.history(bank, ada.user_id, ada.account_id, **args)
    assert field in err.value.errors


def test_a_statement_opens_with_the_previous_close_and_adds_up(bank):
    ada = new_customer(bank, opened=datetime(2025, 12, 31, tzinfo=UTC))
    bob = new_customer(bank, "Bob Babbage", opened=datetime(2026, 1, 1, tzinfo=UTC))
    # History is built in time order, as real traffic is: a store never posts into the past.
    postings.deposit(
        at(bank, datetime(2026, 1, 2, tzinfo=UTC)), bob.user_id, bob.account_id, amount="500.00"
    )
    postings.deposit(
        at(bank, datetime(2026, 1, 20, tzinfo=UTC)), ada.user_id, ada.account_id, amount="100.00"
    )
    postings.withdraw(
        at(bank, datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ada.user_id,
        ada.account_id,
        amount="30.00",
    )
    feb = [
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 2, 14, 9, tzinfo=UTC),
        datetime(2026, 2, 28, 23, tzinfo=UTC),
    ]
    postings.deposit(at(bank, feb[0]), ada.user_id, ada.account_id, amount="12.34")
    postings.transfer(
        at(bank, feb[1]),
        bob.user_id,
        bob.account_id,
        amount="100.01",
        to_account_number=ada.account_number,
        memo="gift",
    )
    postings.withdraw(at(bank, feb[2]), ada.user_id, ada.account_id, amount="0.35")
    postings.deposit(
        at(bank, datetime(2026, 3, 1, tzinfo=UTC)), ada.user_id, ada.account_id, amount="1.00"
    )

    january = history.statement(bank, ada.user_id, ada.account_id, "2026-01")
    february = history.statement(bank, ada.user_id, ada.account_id, "2026-02")
    assert (str(january.opening_balance), str(january.closing_balance)) == ("0.00", "70.00")
    assert str(february.opening_balance) == "70.00"
    assert [str(line.amount) for line in february.lines] == ["12.34", "100.01", "-0.35"]
    total = february.opening_balance.amount + sum(line.amount.amount for line in february.lines)
    assert february.closing_balance.amount == total == Decimal("182.00")
    empty = history.statement(bank, ada.user_id, ada.account_id, "2025-12")
    assert empty.lines == [] and str(empty.closing_balance) == "0.00"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "", "2026-01-01", "abcd-ef"])
def test_a_statement_needs_a_real_month(bank, month):
    ada = new_customer(bank)
    with pytest.raises(ValidationFailed):
        history.statement(bank, ada.user_id, ada.account_id, month)


def test_the_feed_reads_every_transaction_in_order_from_a_position(bank):
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Babbage")
    ids = [
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"{i}").transaction.id
        for i in range(1, 8)
    ]
    ids.append(
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1", to_account_number=bob.account_number
        ).transaction.id
    )
    first = bank.store.ledger.feed(after=None, limit=5)
    rest = bank.store.ledger.feed(after=first.next_cursor, limit=5)
    assert [t.id for t in first.items + rest.items] == ids
    idle = bank.store.ledger.feed(after=rest.next_cursor, limit=5)
    assert idle.items == [] and idle.next_cursor
    later = postings.deposit(bank, ada.user_id, ada.account_id, amount="9").transaction.id
    assert [t.id for t in bank.store.ledger.feed(after=idle.next_cursor, limit=5).items] == [later]
    transfer = rest.items[-1]
    assert sorted(str(e.amount) for e in transfer.entries) == ["-1.00", "1.00"]


def test_a_posting_stamped_before_an_earlier_commit_keeps_the_balance_chain_in_time_order(bank):
    """Two requests read the clock, then commit in the other order (the slower one across a
    month boundary): statements on both sides of the boundary must still add up."""
    from flaskbank.domain import ledger
    from flaskbank.domain.money import Money

    ada = new_customer(bank, opened=datetime(2026, 1, 1, tzinfo=UTC))
    acc = bank.store.ledger.get_account(ada.account_id)
    late = ledger.deposit(
        acc, Money.of("5"), memo="", by=ada.user_id, at="2026-02-01T00:00:00.000100Z"
    )
    early = ledger.deposit(
        acc, Money.of("7"), memo="", by=ada.user_id, at="2026-01-31T23:59:59.999900Z"
    )
    bank.store.ledger.post(late)
    bank.store.ledger.post(early)
    january = history.statement(bank, ada.user_id, ada.account_id, "2026-01")
    february = history.statement(bank, ada.user_id, ada.account_id, "2026-02")
    assert str(january.closing_balance) == str(february.opening_balance)
    assert str(february.closing_balance) == "12.00"


def _walk(bank, ada, **filters):
    """Every page from the newest to the oldest, then back by the newer cursors: the lines
    of each page (transaction ids), both ways."""
    older, cursor = [], None
    while True:
        _, page = history.history(bank, ada.user_id, ada.account_id, cursor=cursor, **filters)
        older.append(([e.transaction_id for e in page.items], page))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    newer = [older[-1][0]]
    cursor = older[-1][1].prev_cursor
    while cursor is not None:
        _, page = history.history(bank, ada.user_id, ada.account_id, cursor=cursor, **filters)
        newer.append([e.transaction_id for e in page.items])
        cursor = page.prev_cursor
    return [ids for ids, _ in older], newer


def test_the_newer_cursor_walks_back_over_the_same_pages(bank):
    ada = new_customer(bank)
    posted = [
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"{i}.00").transaction.id
        for i in range(1, 12)
    ]
    older, newer = _walk(bank, ada, limit=3)
    assert [len(ids) for ids in older] == [3, 3, 3, 2]
    assert sum(older, []) == list(reversed(posted))
    assert newer == list(reversed(older))
    _, first = history.history(bank, ada.user_id, ada.account_id, limit=3)
    assert first.prev_cursor is None


def test_paging_both_ways_keeps_type_and_days(bank):
    ada = new_customer(bank)
    for day in range(1, 8):
        moment = datetime(2026, 3, day, 12, tzinfo=UTC)
        postings.deposit(at(bank, moment), ada.user_id, ada.account_id, amount="10", memo=f"d{day}")
        postings.withdraw(
            at(bank, moment + timedelta(hours=1)), ada.user_id, ada.account_id, amount="1"
        )
    filters = {"limit": 2, "type": "deposit", "since": "2026-03-02", "until": "2026-03-06"}
    older, newer = _walk(bank, ada, **filters)
    assert [len(ids) for ids in older] == [2, 2, 1]
    assert newer == list(reversed(older))
    memos = []
    for ids in older:
        memos += [bank.store.ledger.get_transaction(i).memo for i in ids]
    assert memos == ["d6", "d5", "d4", "d3", "d2"]


@pytest.fixture
def searchable(bank):
    """Ada's lines: deposits, withdrawals and transfers with names, memos and amounts to find."""
    ada = new_customer(bank)
    bob = new_customer(bank, "Bob Ärger")
    pay = postings.deposit
    pay(bank, ada.user_id, ada.account_id, amount="1000.00", memo="Salary March")
    postings.transfer(
        bank,
        ada.user_id,
        ada.account_id,
        amount="12.50",
        to_account_number=bob.account_number,
        memo="lunch",
    )
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="50.00", memo="cash for RENT")
    pay(bank, ada.user_id, ada.account_id, amount="12.49", memo="refund")
    postings.transfer(
        bank, bob.user_id, bob.account_id, amount="0.51", to_account_number=ada.account_number
    )
    return ada, bob


@pytest.mark.parametrize(
    ("search", "amounts"),
    [
        ({}, ["0.51", "12.49", "-50.00", "-12.50", "1000.00"]),
        ({"q": "rent"}, ["-50.00"]),  # the memo, in any case
        # The counterparty as shown, folded: "Bob Ärger · …" received, "Bob Ä. · ••••" sent
        # (a sender sees the recipient's name masked).
        ({"q": "ärger"}, ["0.51"]),
        ({"q": "ÄRGER"}, ["0.51"]),
        ({"q": "bob ä"}, ["0.51", "-12.50"]),
        ({"q": "BOB Ä"}, ["0.51", "-12.50"]),
        ({"q": "Cash"}, ["12.49", "-50.00", "1000.00"]),  # "Cash deposit", "Cash withdrawal"
        ({"q": "  lunch "}, ["-12.50"]),
        ({"q": "nobody"}, []),
        ({"q": "%"}, []),  # no wildcard: a percent sign is a percent sign
        ({"q": ""}, ["0.51", "12.49", "-50.00", "-12.50", "1000.00"]),
        ({"min_amount": "12.50"}, ["-50.00", "-12.50", "1000.00"]),  # the size of the amount
        ({"max_amount": "12.50"}, ["0.51", "12.49", "-12.50"]),
        ({"min_amount": "12.49", "max_amount": "12.50"}, ["12.49", "-12.50"]),
        ({"min_amount": "0", "max_amount": "0.51"}, ["0.51"]),
        ({"min_amount": "12.5", "max_amount": "12.5"}, ["-12.50"]),
        ({"q": "e", "min_amount": "10", "type": "deposit"}, ["12.49", "1000.00"]),
    ],
)
def test_search_by_text_and_amount(bank, searchable, search, amounts):
    ada, _ = searchable
    _, page = history.history(bank, ada.user_id, ada.account_id, **search)
    assert [str(e.amount) for e in page.items] == amounts


def test_a_sparse_search_still_fills_its_pages_and_ends(bank):
    ada = new_customer(bank)
    for i in range(1, 131):
        memo = f"needle {i}" if i % 40 == 0 else f"hay {i}"
        postings.deposit(bank, ada.user_id, ada.account_id, amount="1", memo=memo)
    older, newer = _walk(bank, ada, limit=2, q="NEEDLE")
    assert [len(ids) for ids in older] == [2, 1]
    assert newer == list(reversed(older))
    _, page = history.history(bank, ada.user_id, ada.account_id, q="needle", limit=5)
    assert [e.memo for e in page.items] == ["needle 120", "needle 80", "needle 40"]
    assert page.next_cursor is None and page.prev_cursor is None


@pytest.mark.parametrize(
    "args, field",
    [
        ({"q": "x" * 101}, "q"),
        ({"q": "tab\there"}, "q"),
        ({"min_amount": "abc"}, "min_amount"),
        ({"min_amount": "-1"}, "min_amount"),
        ({"max_amount": "1.234"}, "max_amount"),
        ({"max_amount": "1e3"}, "max_amount"),
        ({"max_amount": "9" * 40}, "max_amount"),
        ({"min_amount": "5", "max_amount": "4.99"}, "max_amount"),
        ({"cursor": "eyJuZXdlciI6bnVsbH0"}, "cursor"),  # {"newer": null}
        ({"cursor": "eyJuZXdlciI6MSwieCI6MX0"}, "cursor"),  # {"newer": 1, "x": 1}
    ],
)
def test_bad_searches_name_the_field(bank, args, field):
    ada = new_customer(bank, deposit="1.00")
    with pytest.raises(ValidationFailed) as err:
        history.history(bank, ada.user_id, ada.account_id, **args)
    assert field in err.value.errors


def test_no_statement_before_the_account_was_opened_or_after_this_month(bank):
    from flaskbank.domain.errors import StatementNotFound

    ada = new_customer(bank, opened=datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
    now = at(bank, datetime(2026, 3, 15, tzinfo=UTC))
    for month in ("2025-12", "2026-04", "9999-11"):
        with pytest.raises(StatementNotFound):
            history.statement(now, ada.user_id, ada.account_id, month)
    for month, closes_on in (("2026-01", "2026-01-31"), ("2026-03", "2026-03-15")):
        found = history.statement(now, ada.user_id, ada.account_id, month)
        assert found.closes_on == closes_on
