"""A customer's personal details as a bank keeps them: a phone number, a postal address and
a date of birth; the rules they must meet, and the lines of a letter's address.

Customers who registered before the bank asked for them have them empty (""), so every
reader copes with an empty value; a value given once must stay valid (it cannot be
cleared, only changed)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .accounts import User
from .digits import ASCII_DIGITS
from .errors import ValidationFailed
from .identity import INVISIBLE

#: The User fields this module rules over.
DETAILS = ("phone", "address", "date_of_birth")
#: Customers must be adults to open an account.
MINIMUM_AGE = 18
#: Older than anyone alive: a typo (1893 for 1993) rather than a customer.
MAXIMUM_AGE = 125
ADDRESS_LINES_MAX = 6
ADDRESS_LINE_MAX = 100
#: E.164: a country code and the national number, 15 digits at most, the first not 0.
_INTERNATIONAL = re.compile(r"[1-9][0-9]{6,14}")
#: What people put between the digits of a phone number.
_PHONE_SEPARATORS = frozenset(" -.()/")
#: The fewest trailing digits that look up a phone number in staff search.
PHONE_SEARCH_DIGITS = 6


def clean_phone(text: object) -> str:
    """The number in E.164 form ("+447700900123") from what a person typed in international
    form: "+" or "00", the country code, then the number, with spaces, dashes, dots or
    brackets anywhere. A national number ("07700 900123") is refused: without its country
    the bank cannot call it from abroad or match it in search."""
    raw = unicodedata.normalize("NFKC", text).strip() if isinstance(text, str) else ""
    if not raw:
        raise ValidationFailed({"phone": "enter your phone number"})
    body = raw[1:] if raw.startswith("+") else raw[2:] if raw.startswith("00") else ""
    digits = "".join(c for c in body if c not in _PHONE_SEPARATORS)
    if (
        not body
        or not all(c in ASCII_DIGITS for c in digits)
        or not _INTERNATIONAL.fullmatch(digits)
    ):
        raise ValidationFailed(
            {"phone": "enter the number in international form, such as +44 7700 900123"}
        )
    return "+" + digits


def phone_digits(phone: str) -> str:
    """The digits of a stored phone number, which staff search matches on."""
    return "".join(c for c in phone if c in ASCII_DIGITS)


def search_digits(text: str) -> str | None:
    """The digits staff typed, as the tail of a phone number to look for (a national trunk
    0 dropped, so that "07700 900123" finds +44 7700 900123), or None when there are too
    few digits to be a phone number."""
    digits = "".join(c for c in text if c in ASCII_DIGITS).lstrip("0")
    return digits if len(digits) >= PHONE_SEARCH_DIGITS else None


def clean_address(text: object) -> str:
    """The postal address as lines joined by newlines: blank lines dropped, spaces within a
    line collapsed; at least one line, at most ADDRESS_LINES_MAX."""
    raw = unicodedata.normalize("NFKC", text) if isinstance(text, str) else ""
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ValidationFailed({"address": "enter your postal address"})
    if any(unicodedata.category(c) in INVISIBLE for line in lines for c in line):
        raise ValidationFailed({"address": "use visible characters only"})
    if len(lines) > ADDRESS_LINES_MAX or any(len(line) > ADDRESS_LINE_MAX for line in lines):
        raise ValidationFailed(
            {"address": f"at most {ADDRESS_LINES_MAX} lines of {ADDRESS_LINE_MAX} characters each"}
        )
    return "\n".join(lines)


def clean_date_of_birth(text: object, today: date) -> str:
    """The date of birth as an ISO date (YYYY-MM-DD), for a customer at least MINIMUM_AGE
    years old on `today`."""
    raw = text.strip() if isinstance(text, str) else ""
    if not raw:
        raise ValidationFailed({"date_of_birth": "enter your date of birth"})
    # fromisoformat alone accepts non-ASCII digits and other ISO shapes (20000101).
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw) or not raw.isascii():
        raise ValidationFailed({"date_of_birth": "give the date as YYYY-MM-DD"})
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({"date_of_birth": "that date does not exist"}) from None
    if born >= today:
        raise ValidationFailed({"date_of_birth": "a date of birth is in the past"})
    age = age_on(born, today)
    if age < MINIMUM_AGE:
        raise ValidationFailed(
            {"date_of_birth": f"you must be at least {MINIMUM_AGE} to bank with us"}
        )
    if age > MAXIMUM_AGE:
        raise ValidationFailed({"date_of_birth": "check the year"})
    return born.isoformat()


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def address_lines(user: User) -> list[str]:
    return [line for line in user.address.split("\n") if line]


def postal_lines(user: User) -> list[str]:
    """The lines of a letter's address block (a statement's letterhead): the customer's name,
    then their address; only the name for a customer who has not given an address."""
    return [user.full_name, *address_lines(user)]
