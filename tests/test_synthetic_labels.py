"""Label integrity: every label the synthetic bank stores names transactions that exist,
belong to its customer, fall in its window, and match its pattern's definition
(synthetic/patterns.py); and every day of cash past the reporting limit is labelled."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from difflib import SequenceMatcher

import pytest

from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.labels import Label, Pattern
from flaskbank.domain.ledger import Entry, Transaction, TransactionType, parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.store.sqlite import SqliteStore
from flaskbank.synthetic import LOCKED, Options
from flaskbank.synthetic.loading import load_bank
from flaskbank.synthetic.people import LISTED_NAMES

LIMIT = Money.of("10000.00")


class Bank:
    """The loaded bank, read back through the store's ports."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.labels = list(store.bulk.labels())
        self.accounts: dict[str, list[str]] = defaultdict(list)
        self.owner: dict[str, str] = {}
        for account in store.ledger.all_accounts():
            self.accounts[account.user_id].append(account.id)
            self.owner[account.id] = account.user_id
        self.events: dict[str, list[Event]] = defaultdict(list)
        after = None
        while page := store.events.read(after=after, limit=1000).events:
            for e in page:
                self.events[e.subject].append(e)
            after = page[-1].position

    def txn(self, transaction_id: str) -> Transaction:
        found = self.store.ledger.get_transaction(transaction_id)
        assert found is not None, f"labelled transaction {transaction_id} does not exist"
        return found

    def entries(self, user_id: str, before: str = "9999") -> list[Entry]:
        return sorted(
            (
                e
                for a in self.accounts[user_id]
                for e in self.store.ledger.entries_between(a, "0000", before)
            ),
            key=lambda e: e.created_at,
        )

    def side(self, txn: Transaction, user_id: str) -> Entry:
        return next(e for e in txn.entries if self.owner.get(e.account_id) == user_id)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    store = SqliteStore(tmp_path_factory.mktemp("labels") / "bank.db")
    store.init_schema()
    load_bank(store, Options(150, 17, 4, date(2023, 1, 1), pattern_rate=40), LOCKED)
    return Bank(store)


def hours(a: str, b: str) -> float:
    return (parse_utc_iso(b) - parse_utc_iso(a)).total_seconds() / 3600


def test_every_pattern_is_planted_and_labels_are_rare_at_the_realistic_rate(bank):
    assert {lb.pattern for lb in bank.labels} == set(Pattern)


def test_labelled_transactions_exist_belong_to_the_customer_and_fall_in_the_window(bank):
    for label in bank.labels:
        for tid in label.transaction_ids:
            txn = bank.txn(tid)
            assert label.start <= txn.created_at <= label.end, label
            bank.side(txn, label.user_id)  # one side is the customer's


def check(label: Label, bank: Bank) -> None:
    txns = [bank.txn(t) for t in label.transaction_ids]
    mine = [bank.side(t, label.user_id) for t in txns]
    debits = [e for e in mine if e.amount.is_negative()]
    credits = [e for e in mine if e.amount.is_positive()]
    p = label.pattern
    if p is Pattern.STRUCTURING:
        assert 3 <= len(mine) == len(credits) and all(
            t.type is TransactionType.DEPOSIT for t in txns
        )
        assert all(Money.of("9000") <= e.amount < LIMIT for e in mine)
        assert sum((e.amount for e in mine), Money.of("0")) > LIMIT
        assert len({e.created_at[:10] for e in mine}) == len(mine)
        assert hours(label.start, label.end) <= 7 * 24
    elif p is Pattern.RAPID_MOVEMENT:
        assert len(credits) >= 2 and len(debits) >= 2 and hours(label.start, label.end) <= 48
        assert all(t.type is TransactionType.TRANSFER for t in txns)
        assert -sum(e.amount.minor for e in debits) >= 0.8 * sum(e.amount.minor for e in credits)
        assert max(e.created_at for e in credits) < min(e.created_at for e in debits)
    elif p is Pattern.ACCOUNT_TAKEOVER:
        events = bank.events[label.user_id]
        logins = [e for e in events if e.kind is EventKind.LOGIN_SUCCEEDED]
        login = next(e for e in logins if e.at == label.start)
        earlier = {e.payload["device"] for e in logins if e.at < label.start}
        assert login.payload["device"] not in earlier
        first_out = min(e.created_at for e in debits)
        assert any(
            e.kind in (EventKind.PASSWORD_CHANGED, EventKind.EMAIL_CHANGED)
            and label.start <= e.at <= first_out
            for e in events
        )
        paid_before = {
            x.counterparty
            for x in bank.entries(label.user_id, label.start)
            if x.amount.is_negative()
        }
        assert debits and len(debits) == len(mine)
        assert all(e.counterparty not in paid_before for e in debits)
    elif p is Pattern.DORMANT_REACTIVATION:
        first = min(e.created_at for e in mine)
        before = bank.entries(label.user_id, first)
        assert before, "dormant since when? it had no history"
        silent = parse_utc_iso(first) - parse_utc_iso(before[-1].created_at)
        assert silent > timedelta(days=365) and debits == mine
    elif p is Pattern.ROUND_AMOUNTS:
        assert len(debits) == len(mine) >= 3 and hours(label.start, label.end) <= 72
        assert all(e.amount.minor % 10_000 == 0 and -e.amount.minor >= 50_000 for e in mine)
    elif p is Pattern.OUTLIER:
        (e,) = mine
        history = [-x.amount.minor for x in bank.entries(label.user_id, e.created_at)]
        earlier = [m for m in history if m > 0]
        assert earlier and -e.amount.minor >= 10 * statistics.median(earlier)
    elif p is Pattern.LARGE_CASH:
        kinds = {t.type for t in txns}
        assert kinds in ({TransactionType.DEPOSIT}, {TransactionType.WITHDRAWAL})
        assert len({e.created_at[:10] for e in mine}) == 1
        assert sum((abs(e.amount.amount) for e in mine), 0) > LIMIT.amount
    else:
        assert p is Pattern.SANCTIONED_NAME and label.transaction_ids == ()
        user = bank.store.users.get_user(label.user_id)
        listed = next(n for n in LISTED_NAMES if n in label.note)
        assert user is not None and user.full_name in label.note and user.full_name != listed
        assert SequenceMatcher(None, user.full_name, listed).ratio() >= 0.75


@pytest.mark.parametrize("pattern", list(Pattern))
def test_each_label_matches_its_patterns_definition(bank, pattern):
    labels = [lb for lb in bank.labels if lb.pattern is pattern]
    assert labels
    for label in labels:
        check(label, bank)


def test_every_day_of_cash_past_the_reporting_limit_is_labelled(bank):
    days: dict[tuple[str, str, str], int] = defaultdict(int)
    for txn in bank.store.ledger.all_transactions():
        if txn.type is not TransactionType.TRANSFER:
            customer = next(e for e in txn.entries if e.account_id in bank.owner)
            days[(bank.owner[customer.account_id], txn.created_at[:10], txn.type.value)] += (
                txn.amount.minor
            )
    over = {k for k, total in days.items() if total > LIMIT.minor}
    labelled = {
        (lb.user_id, lb.start[:10], bank.txn(lb.transaction_ids[0]).type.value)
        for lb in bank.labels
        if lb.pattern is Pattern.LARGE_CASH
    }
    assert over == labelled and over
