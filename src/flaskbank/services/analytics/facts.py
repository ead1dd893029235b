"""Events as warehouse rows: a pure translation, one batch at a time.

Only what analysis needs is kept: the customer legs of each posted transaction (the bank's
internal side of a deposit or a withdrawal is not a customer's money), who signed up and
when, which accounts were opened, status changes and what happened to holds. Every other
kind of event moves the checkpoint and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...domain.chart import is_internal
from ...domain.events import Event, EventKind, JsonValue
from ...domain.money import Money, minor_exponent
from ...warehouse.base import Facts

_HOLD_KINDS = {
    EventKind.HOLD_PLACED: "placed",
    EventKind.HOLD_RELEASED: "released",
    EventKind.HOLD_VOIDED: "voided",
    EventKind.HOLD_EXPIRED: "expired",
}


def minor_units(text: str, currency: str) -> int:
    """ "-12.34" in EUR -> -1234, exactly. The feed writes amounts with exactly the currency's
    minor digits (str(Money)); anything else goes through Money, which refuses what is not
    an amount of that currency."""
    digits = minor_exponent(currency)
    whole, point, fraction = text.partition(".")
    if (point and len(fraction) == digits) or (not point and digits == 0):
        return int(whole + fraction)
    return Money.of(text, currency).minor


def facts_of(events: Iterable[Event]) -> Facts:
    facts = Facts()
    for event in events:
        facts.events += 1
        facts.last_at = event.at
        kind, p = event.kind, event.payload
        if kind is EventKind.TRANSACTION_POSTED:
            _posted(facts, event)
        elif kind is EventKind.ACCOUNT_OPENED:
            facts.accounts.append(
                (
                    event.subject,
                    _text(p, "user_id"),
                    _text(p, "type"),
                    _text(p, "currency"),
                    event.at,
                )
            )
        elif kind is EventKind.USER_REGISTERED:
            facts.customers.append((event.subject, _text(p, "role"), event.at, _text(p, "segment")))
        elif kind is EventKind.ACCOUNT_STATUS_CHANGED:
            facts.statuses.append((event.subject, _text(p, "status"), event.at))
        elif kind in _HOLD_KINDS:
            currency = _text(p, "currency")
            facts.holds.append(
                (
                    _text(p, "hold_id"),
                    event.subject,
                    _HOLD_KINDS[kind],
                    minor_units(_text(p, "amount"), currency),
                    currency,
                    event.at,
                )
            )
    return facts


def _posted(facts: Facts, event: Event) -> None:
    p = event.payload
    currency, type_, tx = _text(p, "currency"), _text(p, "type"), _text(p, "transaction_id")
    legs = p.get("legs")
    for leg in legs if isinstance(legs, list) else ():
        if not isinstance(leg, dict):
            continue
        account = _text(leg, "account_id")
        if is_internal(account):
            continue
        facts.entry_transaction.append(tx)
        facts.entry_account.append(account)
        facts.entry_type.append(type_)
        facts.entry_amount.append(minor_units(_text(leg, "amount"), currency))
        facts.entry_currency.append(currency)
        facts.entry_at.append(event.at)


def _text(payload: Mapping[str, JsonValue], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""
