"""The drill-down's query string, both ways: `parse` checks what staff (or a link) sent and
names each bad field; `params` writes a filter back as the parameters `parse` reads, so a
report's link and the form on the entries page speak the same language."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from ...domain.accounts import AccountType
from ...domain.errors import ValidationFailed
from ...domain.ledger import TransactionType
from ...domain.money import MINOR_UNITS
from ...warehouse.entries import EntryFilter, EntryKey, Measure, Side

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_LIFE_MONTHS = 1200
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SEGMENT = re.compile(r"^[a-z0-9_]{1,40}$")
_TYPES = tuple(t.value for t in TransactionType)


@dataclass(frozen=True)
class EntryQuery:
    """A filter, where its page begins (`older` or `newer` than a key, or the newest), the
    page's size, and which total the figure followed here equals (None: none was)."""

    where: EntryFilter
    older: EntryKey | None = None
    newer: EntryKey | None = None
    size: int = PAGE_SIZE
    measure: Measure | None = None


def params(where: EntryFilter) -> dict[str, str]:
    """The filter as query parameters: parse(params(f)).where == f."""
    found = {
        "from": where.first.isoformat() if where.first else "",
        "to": where.last.isoformat() if where.last else "",
        "currency": where.currency or "",
        "type": ",".join(where.types),
        "account_type": where.account_type or "",
        "segment": where.segment or "",
        "customer_id": where.customer_id or "",
        "account_id": where.account_id or "",
        "side": "" if where.side is Side.ALL else where.side.value,
        "weekday": "" if where.weekday is None else str(where.weekday),
        "hour": "" if where.hour is None else str(where.hour),
        "open_at_end": "true" if where.open_at_end else "",
        "signed_up_from": where.signed_up_from.isoformat() if where.signed_up_from else "",
        "signed_up_to": where.signed_up_to.isoformat() if where.signed_up_to else "",
        "life_months": "" if where.life_months is None else str(where.life_months),
    }
    return {k: v for k, v in found.items() if v}


def cursor(key: EntryKey) -> str:
    """An opaque page mark for a link (?older= or ?newer=)."""
    raw = f"{key.posted_at.isoformat()}|{key.transaction_id}|{key.account_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse(args: Mapping[str, str]) -> EntryQuery:
    """Every field is optional; ValidationFailed names each bad one. `type` is a list
    separated by commas. Unknown parameters are ignored."""
    errors: dict[str, str] = {}
    first, last = _date(args, "from", errors), _date(args, "to", errors)
    if first and last and last < first:
        errors["to"] = "must not be before from"
    currency = args.get("currency") or None
    if currency is not None and currency not in MINOR_UNITS:
        errors["currency"] = "must be one of " + ", ".join(MINOR_UNITS)
    types = tuple(t for t in _TYPES if t in (args.get("type") or "").split(","))
    if set(filter(None, (args.get("type") or "").split(","))) - set(types):
        errors["type"] = "must be some of " + ", ".join(_TYPES) + ", separated by commas"
    account_type = _choice(args, "account_type", tuple(a.value for a in AccountType), errors)
    side = _choice(args, "side", tuple(s.value for s in Side), errors) or Side.ALL.value
    measure = _choice(args, "measure", tuple(m.value for m in Measure), errors)
    segment = _match(args, "segment", _SEGMENT, "lower-case letters, digits and _", errors)
    customer = _match(args, "customer_id", _ID, "an id", errors)
    account = _match(args, "account_id", _ID, "an id", errors)
    older, newer = _key(args, "older", errors), _key(args, "newer", errors)
    if older and newer:
        errors["newer"] = "give older or newer, not both"
    size = _size(args.get("size"), errors)
    weekday = _number(args, "weekday", 1, 7, errors)
    hour = _number(args, "hour", 0, 23, errors)
    life_months = _number(args, "life_months", 0, MAX_LIFE_MONTHS, errors)
    open_at_end = _choice(args, "open_at_end", ("true",), errors) == "true"
    if open_at_end and last is None and "to" not in errors:
        errors["open_at_end"] = "needs to: the day the accounts exist at the end of"
    signed_from, signed_to = (
        _date(args, "signed_up_from", errors),
        _date(args, "signed_up_to", errors),
    )
    if signed_from and signed_to and signed_to < signed_from:
        errors["signed_up_to"] = "must not be before signed_up_from"
    if life_months is not None and not (args.get("signed_up_from") and args.get("signed_up_to")):
        # Every customer's months of life at once is no figure's, and costs a pass per day.
        errors["life_months"] = "needs signed_up_from and signed_up_to: the customers followed"
    if errors:
        raise ValidationFailed(errors)
    where = EntryFilter(
        first,
        last,
        currency,
        types,
        account_type,
        segment,
        customer,
        account,
        Side(side),
        weekday,
        hour,
        open_at_end,
        signed_from,
        signed_to,
        life_months,
    )
    return EntryQuery(where, older, newer, size, Measure(measure) if measure else None)


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    value = args.get(name) or ""
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    errors[name] = "must be a date such as 2025-01-31"
    return None


def _choice(
    args: Mapping[str, str], name: str, choices: tuple[str, ...], errors: dict[str, str]
) -> str | None:
    value = args.get(name) or None
    if value is not None and value not in choices:
        errors[name] = "must be one of " + ", ".join(choices)
    return value


def _match(
    args: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str, errors: dict[str, str]
) -> str | None:
    value = args.get(name) or None
    if value is not None and not pattern.match(value):
        errors[name] = f"must be {what}"
    return value


def _number(
    args: Mapping[str, str], name: str, least: int, most: int, errors: dict[str, str]
) -> int | None:
    value = args.get(name) or ""
    if not value:
        return None
    if value.isascii() and value.isdigit() and least <= int(value) <= most:
        return int(value)
    errors[name] = f"must be a whole number from {least} to {most}"
    return None


def _size(value: str | None, errors: dict[str, str]) -> int:
    if not value:
        return PAGE_SIZE
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE_SIZE:
        return int(value)
    errors["size"] = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
    return PAGE_SIZE


def _key(args: Mapping[str, str], name: str, errors: dict[str, str]) -> EntryKey | None:
    value = args.get(name) or ""
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        posted, tx, account = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        at = datetime.fromisoformat(posted)
        if at.tzinfo is None and _ID.match(tx) and _ID.match(account) and len(value) <= 200:
            return EntryKey(at, tx, account)
    except (ValueError, UnicodeError, binascii.Error):
        pass
    errors[name] = "must be a page mark from a Newer or Older link"
    return None
