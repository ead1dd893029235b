"""Row <-> domain mapping for SqliteStore (kept apart so the store reads as its queries)."""

from __future__ import annotations

import sqlite3

from ..domain.accounts import Account, AccountStatus, AccountType, Role, User
from ..domain.ledger import Entry, Transaction, TransactionType
from ..domain.money import Money

ENTRY_COLS = ("account_id, seq, transaction_id, type, amount_minor, currency, "
              "balance_after_minor, counterparty, memo, created_at")


def row_to_user(r: sqlite3.Row) -> User:
    return User(r["id"], r["email"], r["full_name"], r["password_hash"], Role(r["role"]),
                r["created_at"])


def row_to_account(r: sqlite3.Row) -> Account:
    return Account(
        id=r["id"], number=r["number"], user_id=r["user_id"], type=AccountType(r["type"]),
        currency=r["currency"], balance=Money.from_minor(r["balance_minor"], r["currency"]),
        status=AccountStatus(r["status"]), opened_at=r["opened_at"],
    )


def row_to_entry(r: sqlite3.Row) -> Entry:
    cur = r["currency"]
    after = r["balance_after_minor"]
    return Entry(
        transaction_id=r["transaction_id"], account_id=r["account_id"],
        type=TransactionType(r["type"]), amount=Money.from_minor(r["amount_minor"], cur),
        balance_after=None if after is None else Money.from_minor(after, cur),
        counterparty=r["counterparty"], memo=r["memo"], created_at=r["created_at"],
    )


def row_to_transaction(h: sqlite3.Row, entries: list[Entry]) -> Transaction:
    return Transaction(
        id=h["id"], type=TransactionType(h["type"]),
        amount=Money.from_minor(h["amount_minor"], h["currency"]), memo=h["memo"],
        created_at=h["created_at"], initiated_by=h["initiated_by"], entries=tuple(entries),
        position=str(h["seq"]),
    )
