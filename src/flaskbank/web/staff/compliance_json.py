"""The compliance review as the staff API answers it (amounts as strings), and the
drill-down links both the page and the API give each cash finding: the entries list
(/staff/reports/entries) narrowed to the customer's cash in the finding's days."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import url_for

from ...domain.compliance import CorrectiveAction
from ...domain.ledger import TransactionType
from ...domain.money import Money
from ...services.compliance import LargeCash, Review, Structuring

_CASH = f"{TransactionType.DEPOSIT.value},{TransactionType.WITHDRAWAL.value}"


def amount(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


def drill_params(found: LargeCash | Structuring) -> dict[str, str]:
    """The entries behind a finding, as the entries list's query (entry_params.parse)."""
    if isinstance(found, LargeCash):
        first = last = found.cash.day
        currency, types = found.cash.currency, _CASH
    else:
        first, last = found.split.first, found.split.last
        currency, types = found.split.currency, TransactionType.DEPOSIT.value
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "customer_id": found.customer_id,
        "currency": currency,
        "type": types,
    }


def action_json(a: CorrectiveAction) -> dict[str, Any]:
    return {
        "id": a.id,
        "finding": a.finding,
        "customer_id": a.customer_id,
        "at": a.at,
        "author_email": a.author_email,
        "text": a.text,
    }


def _drill(found: LargeCash | Structuring) -> str:
    return f"{url_for('staff_api.entries_api')}?{urlencode(drill_params(found))}"


def review_json(r: Review) -> dict[str, Any]:
    return {
        "from": r.period.first.isoformat(),
        "to": r.period.last.isoformat(),
        "as_of": {
            "position": r.as_of.position,
            "at": r.as_of.last_event_at or None,
            "events": r.as_of.events,
        },
        "large_cash": [
            {
                "finding": f.finding,
                "customer_id": f.customer_id,
                "name": f.name,
                "day": f.cash.day.isoformat(),
                "currency": f.cash.currency,
                "transactions": f.cash.transactions,
                "total": amount(f.cash.total, f.cash.currency),
                "entries": _drill(f),
                "actions": [action_json(a) for a in f.actions],
            }
            for f in r.large_cash
        ],
        "structuring": [
            {
                "finding": f.finding,
                "customer_id": f.customer_id,
                "name": f.name,
                "first_day": f.split.first.isoformat(),
                "last_day": f.split.last.isoformat(),
                "currency": f.split.currency,
                "deposits": f.split.deposits,
                "total": amount(f.split.total, f.split.currency),
                "entries": _drill(f),
                "actions": [action_json(a) for a in f.actions],
            }
            for f in r.structuring
        ],
        "kyc_gaps": {
            "count": r.kyc_gap_count,
            "items": [
                {
                    "finding": f.finding,
                    "customer_id": f.customer_id,
                    "name": f.name,
                    "email": f.email,
                    "missing": list(f.missing),
                    "actions": [action_json(a) for a in f.actions],
                }
                for f in r.kyc_gaps
            ],
        },
        "frozen_accounts": [
            {
                "finding": f.finding,
                "account_id": f.account_id,
                "number": f.number,
                "customer_id": f.customer_id,
                "name": f.name,
                "reason": f.reason,
                "since": f.since,
                "frozen_by": f.frozen_by,
                "actions": [action_json(a) for a in f.actions],
            }
            for f in r.frozen
        ],
    }
