"""Reading an account's history and monthly statements."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ..domain.accounts import Account
from ..domain.digits import whole_number
from ..domain.errors import StatementNotFound, StoreError, ValidationFailed
from ..domain.ledger import Entry, TransactionType, utc_iso
from ..domain.money import Money, minor_exponent
from ..domain.search import SEARCH_TEXT_MAX, HistorySearch, fold
from ..store.base import Page
from .accounts import account_of
from .bank import Bank

# ASCII digits and fullmatch: `\d` would take ２０２６ and `$` a trailing newline, and the
# month is echoed into the statement and its CSV file name.
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# date.fromisoformat also reads 20260131 and 2026-W05-6; we promise (and show) only this.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(text: object, field: str) -> datetime | None:
    if text in (None, ""):
        return None
    try:
        if not isinstance(text, str) or not _DAY.fullmatch(text):
            raise ValueError(text)
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        raise ValidationFailed({field: "use a date like 2026-01-31"}) from None


def history(
    bank: Bank,
    user_id: str,
    account_id: object,
    *,
    limit: object = 20,
    cursor: str | None = None,
    since: object = None,
    until: object = None,
    type: object = None,
    q: object = None,
    min_amount: object = None,
    max_amount: object = None,
) -> tuple[Account, Page[Entry]]:
    """Newest first. `since` and `until` are calendar days (UTC), both inclusive; `q` is
    text the counterparty or memo contains (any case), `min_amount` and `max_amount` bound
    the size of the amount, whichever way it went (both inclusive, plain decimals)."""
    account = account_of(bank, user_id, account_id)
    size = whole_number(limit)
    if size is None:
        raise ValidationFailed({"limit": "limit must be a whole number"})
    if not 1 <= size <= bank.settings.history_page_max:
        raise ValidationFailed({"limit": f"limit must be 1 to {bank.settings.history_page_max}"})
    kind = None
    if type not in (None, ""):
        try:
            kind = TransactionType(type if isinstance(type, str) else "")
        except ValueError:
            raise ValidationFailed(
                {"type": "type must be deposit, withdrawal or transfer"}
            ) from None
    start, end = day_bounds(since, until)
    search = history_search(q, min_amount, max_amount, account.currency)
    page = bank.store.ledger.history(
        account.id,
        limit=size,
        cursor=cursor or None,
        since=start,
        until=end,
        type=kind,
        search=search or None,
    )
    return account, page


# Plain decimals, as the API takes amounts (the web form drops thousands commas first).
_BOUND = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?")


def _bound(text: object, field: str, currency: str) -> int | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    digits = minor_exponent(currency)
    message = f"{field} must be an amount such as 12.34 (at most {digits} decimals)"
    if not isinstance(text, str) or not _BOUND.fullmatch(text.strip()):
        raise ValidationFailed({field: message})
    value = Decimal(text.strip()).scaleb(digits)
    if value != value.to_integral_value():
        raise ValidationFailed({field: message})
    return int(value)


def history_search(q: object, low: object, high: object, currency: str) -> HistorySearch:
    """What to search for, checked: text of at most SEARCH_TEXT_MAX characters, and an
    amount range whose ends are in the account's currency and in order."""
    errors: dict[str, str] = {}
    text = ""
    if q is not None:
        if not isinstance(q, str) or len(q) > SEARCH_TEXT_MAX or not q.isprintable():
            errors["q"] = f"search text must be at most {SEARCH_TEXT_MAX} printable characters"
        else:
            text = fold(q.strip())
    bounds: dict[str, int | None] = {}
    for field, given in (("min_amount", low), ("max_amount", high)):
        try:
            bounds[field] = _bound(given, field, currency)
        except ValidationFailed as error:
            errors |= error.errors
    if errors:
        raise ValidationFailed(errors)
    least, most = bounds["min_amount"], bounds["max_amount"]
    if least is not None and most is not None and most < least:
        raise ValidationFailed({"max_amount": "max_amount must not be below min_amount"})
    return HistorySearch(text, least, most)


def day_bounds(since: object, until: object) -> tuple[str | None, str | None]:
    """Calendar days (UTC, both inclusive) as the stores' bounds: since inclusive, until
    exclusive (the start of the day after `until`)."""
    start, end = _day(since, "since"), _day(until, "until")
    if start and end and end < start:
        raise ValidationFailed({"until": "until must not be before since"})
    try:
        end_text = utc_iso(end + timedelta(days=1)) if end is not None else None
    except OverflowError:  # until=9999-12-31 has no next day; nothing is later anyway
        end_text = None
    return (utc_iso(start) if start else None), end_text


@dataclass(frozen=True)
class Statement:
    account: Account
    month: str
    opening_balance: Money
    closing_balance: Money
    lines: list[Entry]
    #: The day the closing balance is stated for: the month's last day, or today while the
    #: month is still running (a statement never states a balance for a day still to come).
    closes_on: str


def statement(bank: Bank, user_id: str, account_id: object, month: str) -> Statement:
    """The account's month: opening balance, every line oldest first, closing balance.

    The closing balance is the stored balance after the last line; it must equal the opening
    balance plus the lines, and a statement that would break that is refused, not printed.
    A month before the account was opened, or after the current one (UTC), has no
    statement: StatementNotFound.
    """
    account = account_of(bank, user_id, account_id)
    m = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if not m:
        raise ValidationFailed({"month": "use a month like 2026-01"})
    year, mon = int(m[1]), int(m[2])
    try:
        start = datetime(year, mon, 1, tzinfo=UTC)
        end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    except ValueError:  # year 0000, or 9999-12 whose end would be in year 10000
        raise ValidationFailed({"month": "use a month between 0001-01 and 9999-11"}) from None
    today = bank.now()[:10]
    opened = account.opened_at[:7]
    if month < opened:
        raise StatementNotFound(
            f"there is no statement for {month}: the account was opened in {opened}"
        )
    if month > today[:7]:
        raise StatementNotFound(f"there is no statement for {month} yet")
    before = bank.store.ledger.balance_before(account.id, utc_iso(start))
    zero = Money.zero(account.currency)
    opening = before.balance_after if before and before.balance_after is not None else zero
    lines = bank.store.ledger.entries_between(account.id, utc_iso(start), utc_iso(end))
    closing = opening
    if lines and lines[-1].balance_after is not None:
        closing = lines[-1].balance_after
    total = opening
    for line in lines:
        total = total + line.amount
    if total != closing:
        raise StoreError(f"statement for {account.number} {month} does not add up")
    last_day = (end - timedelta(days=1)).date().isoformat()
    return Statement(account, month, opening, closing, lines, min(last_day, today))
