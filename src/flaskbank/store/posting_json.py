"""A posting as JSON text, for the stores that keep one with a hold until it is released.
Amounts as integer minor units, never floats."""

from __future__ import annotations

import json

from ..domain.ledger import Leg, Posting, TransactionType
from ..domain.money import Money


def dumps(posting: Posting) -> str:
    return json.dumps(
        {
            "id": posting.id,
            "type": posting.type.value,
            "currency": posting.amount.currency,
            "amount_minor": posting.amount.minor,
            "memo": posting.memo,
            "created_at": posting.created_at,
            "initiated_by": posting.initiated_by,
            "legs": [[leg.account_id, leg.amount.minor, leg.counterparty] for leg in posting.legs],
        },
        sort_keys=True,
    )


def loads(text: str) -> Posting:
    kept = json.loads(text)
    cur = kept["currency"]
    return Posting(
        id=kept["id"],
        type=TransactionType(kept["type"]),
        amount=Money.from_minor(int(kept["amount_minor"]), cur),
        legs=tuple(Leg(a, Money.from_minor(int(m), cur), c) for a, m, c in kept["legs"]),
        memo=kept["memo"],
        created_at=kept["created_at"],
        initiated_by=kept["initiated_by"],
    )
