"""The API's JSON shapes, in one place. Money leaves as text (`str(money)`, e.g. "-20.00"),
never as a float; timestamps are the stored ISO 8601 UTC strings."""

from __future__ import annotations

from typing import Any

from ...domain.accounts import Account, User
from ...domain.ledger import Entry
from ...domain.money import Money
from ...services.history import Statement
from ...store.base import Page


def _money(money: Money | None) -> str | None:
    return None if money is None else str(money)


def user(u: User) -> dict[str, Any]:
    # Never the password hash: the shape is an allow-list.
    return {
        "id": u.id,
        "email": u.email,
        "full_name": u.full_name,
        "role": u.role.value,
        "created_at": u.created_at,
    }


def account(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "number": a.number,
        "type": a.type.value,
        "currency": a.currency,
        "balance": str(a.balance),
        "status": a.status.value,
        "opened_at": a.opened_at,
    }


def entry(e: Entry) -> dict[str, Any]:
    """A transaction as one account sees it: `amount` is signed from that account's side."""
    return {
        "id": e.transaction_id,
        "type": e.type.value,
        "amount": str(e.amount),
        "currency": e.amount.currency,
        "balance_after": _money(e.balance_after),
        "account_id": e.account_id,
        "counterparty": e.counterparty,
        "memo": e.memo,
        "created_at": e.created_at,
    }


def entries_page(page: Page[Entry]) -> dict[str, Any]:
    return {"items": [entry(e) for e in page.items], "next_cursor": page.next_cursor}


def statement(s: Statement) -> dict[str, Any]:
    return {
        "account_id": s.account.id,
        "month": s.month,
        "currency": s.account.currency,
        "opening_balance": str(s.opening_balance),
        "closing_balance": str(s.closing_balance),
        "lines": [entry(e) for e in s.lines],
    }
