"""Row <-> domain mapping for the SQLite ports (kept apart so that they read as their queries)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from ...domain.accounts import Account, AccountStatus, AccountType, Role, User
from ...domain.chart import Standing, policy_of
from ...domain.identity import email_key
from ...domain.ledger import Entry, Transaction, TransactionType
from ...domain.money import Money
from ...domain.security import ApiToken
from ..cursors import decode_cursor

#: Accounts with their owner's name, which this store joins in rather than copies.
ACCOUNTS = (
    "SELECT a.*, coalesce(u.full_name, '') AS owner_name FROM accounts a "
    "LEFT JOIN users u ON u.id = a.user_id"
)

ENTRY_COLS = (
    "account_id, seq, transaction_id, type, amount_minor, currency, "
    "balance_after_minor, counterparty, memo, created_at"
)


def row_position(cursor: str | None) -> int | None:
    """The row number a cursor of ours carries; anything else is the 422 of a foreign one."""
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if not isinstance(position, int) or not 0 <= position < 2**63:
        decode_cursor("!")  # the same 422 as any other foreign cursor
    return int(position)


def row_to_user(r: sqlite3.Row) -> User:
    return User(
        r["id"],
        r["email"],
        r["full_name"],
        r["password_hash"],
        Role(r["role"]),
        r["created_at"],
        must_change_password=bool(r["must_change_password"]),
        totp_secret=r["totp_secret"],
        totp_last_step=r["totp_last_step"],
        recovery_codes=tuple(json.loads(r["recovery_codes"])),
        version=r["version"],
        security_stamp=r["security_stamp"],
        demo_only=bool(r["demo_only"]),
        phone=r["phone"],
        address=r["address"],
        date_of_birth=r["date_of_birth"],
    )


def user_columns(fields: Mapping[str, Any]) -> dict[str, object]:
    """The users-table columns for some of a user's fields, by name."""
    columns: dict[str, object] = {}
    for name, value in fields.items():
        if name == "email":
            columns["email_key"] = email_key(value)
        elif name == "role":
            value = value.value
        elif name in ("must_change_password", "demo_only"):
            value = int(value)
        elif name == "recovery_codes":
            value = json.dumps(list(value))
        columns[name] = value
    return columns


def user_row(user: User) -> dict[str, object]:
    """The users-table columns for a whole user, by name."""
    return user_columns(
        {
            f: getattr(user, f)
            for f in (
                "id",
                "email",
                "full_name",
                "password_hash",
                "role",
                "created_at",
                "must_change_password",
                "totp_secret",
                "totp_last_step",
                "recovery_codes",
                "version",
                "security_stamp",
                "demo_only",
                "phone",
                "address",
                "date_of_birth",
            )
        }
    )


def row_to_account(r: sqlite3.Row) -> Account:
    return Account(
        id=r["id"],
        number=r["number"],
        user_id=r["user_id"],
        type=AccountType(r["type"]),
        currency=r["currency"],
        balance=Money.from_minor(r["balance_minor"], r["currency"]),
        status=AccountStatus(r["status"]),
        opened_at=r["opened_at"],
        status_reason=r["status_reason"],
        owner_name=r["owner_name"],
        held_minor=r["held_minor"],
        nickname=r["nickname"],
        primary=bool(r["is_primary"]),
    )


def row_to_entry(r: sqlite3.Row) -> Entry:
    cur = r["currency"]
    after = r["balance_after_minor"]
    return Entry(
        transaction_id=r["transaction_id"],
        account_id=r["account_id"],
        type=TransactionType(r["type"]),
        amount=Money.from_minor(r["amount_minor"], cur),
        balance_after=None if after is None else Money.from_minor(after, cur),
        counterparty=r["counterparty"],
        memo=r["memo"],
        created_at=r["created_at"],
    )


def row_to_transaction(h: sqlite3.Row, entries: list[Entry]) -> Transaction:
    return Transaction(
        id=h["id"],
        type=TransactionType(h["type"]),
        amount=Money.from_minor(h["amount_minor"], h["currency"]),
        memo=h["memo"],
        created_at=h["created_at"],
        initiated_by=h["initiated_by"],
        entries=tuple(entries),
        position=str(h["seq"]),
    )


def row_to_token(r: sqlite3.Row) -> ApiToken:
    return ApiToken(
        r["token_hash"],
        r["user_id"],
        r["created_at"],
        r["expires_at"],
        bool(r["revoked"]),
        r["stamp"],
    )


def standing(row: sqlite3.Row, currency: str, *, before: int | None = None) -> Standing:
    """What the rules read of an account row (with `before`, the balance it had before a
    move that the row already shows)."""
    return Standing(
        Money.from_minor(row["balance_minor"] if before is None else before, currency),
        Money.from_minor(row["held_minor"], currency),
        AccountStatus(row["status"]),
        policy_of(AccountType(row["type"])),
        row["number"],
    )
