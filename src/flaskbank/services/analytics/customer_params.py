"""The customer list's query string, both ways, as entry_params is the entry list's: `parse`
checks what staff (or a link) sent and names each bad field; `params` writes a filter back
as the parameters `parse` reads."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ...domain.errors import ValidationFailed
from ...warehouse.customers import CATEGORIES, CustomerFilter, CustomerKey
from ...warehouse.entries import EntryFilter
from . import entry_params
from .customer_activity import WINDOWS
from .entry_params import (
    _ID,
    _SEGMENT,
    MAX_LIFE_MONTHS,
    PAGE_SIZE,
    _choice,
    _date,
    _match,
    _number,
    _size,
)


@dataclass(frozen=True)
class CustomerQuery:
    """A filter, where its page begins (`older` or `newer` than a key, or the first) and the
    page's size."""

    where: CustomerFilter
    older: CustomerKey | None = None
    newer: CustomerKey | None = None
    size: int = PAGE_SIZE


#: The entry filter's fields a customer list takes, each as `entry_` and the entry list's
#: own parameter (entry_params): the builder's active customers need no others.
ENTRY_FIELDS = ("from", "to", "currency", "type", "account_type")


def params(where: CustomerFilter) -> dict[str, str]:
    """The filter as query parameters: parse(params(f)).where == f for any filter whose
    windows, when it has an `at`, are customer activity's."""
    found = {
        "signed_up_from": where.signed_up_from.isoformat() if where.signed_up_from else "",
        "signed_up_to": where.signed_up_to.isoformat() if where.signed_up_to else "",
        "segment": where.segment or "",
        "activated": "true" if where.activated else "",
        "active_in_month": "" if where.active_in_month is None else str(where.active_in_month),
        "at": where.at.isoformat() if where.at else "",
        "category": where.category or "",
    }
    if where.entries is not None:
        kept = entry_params.params(where.entries)
        found |= {f"entry_{k}": kept.get(k, "") for k in ENTRY_FIELDS}
    return {k: v for k, v in found.items() if v}


def cursor(key: CustomerKey) -> str:
    """An opaque page mark for a link (?older= or ?newer=)."""
    raw = f"{key.signed_up.isoformat()}|{key.customer_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse(args: Mapping[str, str]) -> CustomerQuery:
    """Every field is optional; ValidationFailed names each bad one. Unknown parameters are
    ignored. With `at`, each customer's category then is shown (and may be chosen)."""
    errors: dict[str, str] = {}
    first, last = _date(args, "signed_up_from", errors), _date(args, "signed_up_to", errors)
    if first and last and last < first:
        errors["signed_up_to"] = "must not be before signed_up_from"
    segment = _match(args, "segment", _SEGMENT, "lower-case letters, digits and _", errors)
    activated = _choice(args, "activated", ("true",), errors) == "true"
    month = _number(args, "active_in_month", 1, MAX_LIFE_MONTHS, errors)
    at = _date(args, "at", errors)
    category = _choice(args, "category", CATEGORIES, errors)
    if category and at is None and "at" not in errors:
        errors["category"] = "needs at: the day whose end the category is judged at"
    older, newer = _key(args, "older", errors), _key(args, "newer", errors)
    if older and newer:
        errors["newer"] = "give older or newer, not both"
    size = _size(args.get("size"), errors)
    entries = _entries(args, errors)
    if errors:
        raise ValidationFailed(errors)
    where = CustomerFilter(
        first,
        last,
        segment,
        activated,
        month,
        at,
        category,
        WINDOWS if at else None,
        entries,
    )
    return CustomerQuery(where, older, newer, size)


def _entries(args: Mapping[str, str], errors: dict[str, str]) -> EntryFilter | None:
    """The `entry_` fields, checked by the entry list's own rules; None when none is given."""
    given = {k: args.get(f"entry_{k}") or "" for k in ENTRY_FIELDS}
    if not any(given.values()):
        return None
    try:
        return entry_params.parse(given).where
    except ValidationFailed as refused:
        errors |= {f"entry_{k}": v for k, v in refused.errors.items()}
        return None


def _key(args: Mapping[str, str], name: str, errors: dict[str, str]) -> CustomerKey | None:
    value = args.get(name) or ""
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        day, customer = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        if len(day) == 10 and _ID.match(customer) and len(value) <= 200:
            return CustomerKey(date.fromisoformat(day), customer)
    except (ValueError, UnicodeError, binascii.Error):
        pass
    errors[name] = "must be a page mark from a Newer or Older link"
    return None
