"""The API's JSON shapes, in one place. Money leaves as text (`str(money)`, e.g. "-20.00"),
never as a float; timestamps are the stored ISO 8601 UTC strings."""

from __future__ import annotations

from typing import Any

from ...domain.accounts import Account, User
from ...domain.holds import Hold
from ...domain.ledger import Entry
from ...domain.money import Money
from ...domain.payees import Payee
from ...domain.standing_orders import Run, StandingOrder
from ...services.history import Statement
from ...services.transfer_review import Review
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
        "phone": u.phone,
        "address": u.address,
        "date_of_birth": u.date_of_birth,
    }


def account(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "number": a.number,
        "type": a.type.value,
        "currency": a.currency,
        "balance": str(a.balance),
        "available_balance": str(a.available),  # the balance less what holds reserve
        "status": a.status.value,
        "opened_at": a.opened_at,
        "nickname": a.nickname,
        "primary": a.primary,  # receives money sent to the owner's email
    }


def payee(x: Payee) -> dict[str, Any]:
    return {
        "id": x.id,
        "nickname": x.nickname,
        "account_number": x.number or None,
        "email": x.email or None,
        "created_at": x.created_at,
    }


def review(r: Review) -> dict[str, Any]:
    """A transfer as it would be sent: the recipient masked, never their account number."""
    return {
        "from_account_id": r.source.id,
        "amount": str(r.amount),
        "currency": r.amount.currency,
        "memo": r.memo,
        "recipient": {
            "name": r.recipient_name,
            "account_ending": r.account_ending[-4:],
            "own_account": r.own,
        },
    }


def hold(h: Hold) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": h.id,
        "account_id": h.account_id,
        "kind": h.kind.value,
        "status": h.status.value,
        "amount": str(h.amount),
        "currency": h.amount.currency,
        "reason": h.reason,
        "placed_at": h.placed_at,
        "expires_at": h.expires_at,
        "resolved_at": h.resolved_at,
        "transaction_id": h.transaction_id,
    }
    if h.posting is not None:  # what the pending transfer will post, as the sender sees it
        debit = next(leg for leg in h.posting.legs if leg.account_id == h.account_id)
        body["transfer"] = {"to": debit.counterparty, "memo": h.posting.memo}
    return body


def standing_order(o: StandingOrder, runs: list[Run] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": o.id,
        "from_account_id": o.from_account_id,
        "to_account_number": o.to_account_number,
        "amount": o.amount,
        "memo": o.memo,
        "day_of_month": o.day_of_month,
        "next_run": o.next_run if o.status.value == "active" else None,
        "end_date": o.end_date,
        "status": o.status.value,
        "created_at": o.created_at,
        "last_outcome": o.last_outcome,
    }
    if runs is not None:
        body["runs"] = [
            {
                "on": r.on,
                "outcome": r.outcome.value,
                "at": r.at,
                "transaction_id": r.transaction_id or None,
                "detail": r.detail,
            }
            for r in runs
        ]
    return body


def pending(h: Hold) -> dict[str, Any]:
    """A transfer accepted but waiting for review (202): its hold, and where to follow it."""
    return {"status": "pending", "hold_id": h.id, "hold": hold(h)}


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
    return {
        "items": [entry(e) for e in page.items],
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }


def statement(s: Statement) -> dict[str, Any]:
    return {
        "account_id": s.account.id,
        "month": s.month,
        "currency": s.account.currency,
        "opening_balance": str(s.opening_balance),
        "closing_balance": str(s.closing_balance),
        "lines": [entry(e) for e in s.lines],
    }
