"""Money: an immutable Decimal amount with its currency, quantized to the minor unit.

There is one way in (`Money.of` / `parse_amount`), and it refuses floats, because a float has
already lost cents by the time we could look at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from .errors import InvalidAmount

#: Minor-unit exponent per ISO 4217 currency we accept. An unknown currency is an error.
MINOR_UNITS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2}
DEFAULT_CURRENCY = "USD"

# Plain decimal notation only: no sign, exponent, spaces, NaN or Infinity. The decimal part is
# bounded by the regex only loosely; the currency's exponent is checked afterwards.
_AMOUNT_TEXT = re.compile(r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?$")


def D(value: str | int | Decimal) -> Decimal:  # noqa: N802 - beancount's well-known name
    """Build a Decimal from text, int or Decimal; a float is a programming error."""
    if isinstance(value, float | bool):
        raise TypeError("money is never built from a float or a bool")
    return Decimal(value)


def minor_exponent(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InvalidAmount(f"unsupported currency {currency!r}") from None


_QUANTA = {currency: Decimal(1).scaleb(-digits) for currency, digits in MINOR_UNITS.items()}
_ZEROS: dict[str, Money] = {}


def _quantum(currency: str) -> Decimal:
    """The currency's smallest unit, e.g. Decimal("0.01")."""
    minor_exponent(currency)  # refuses an unknown currency
    return _QUANTA[currency]


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal; use Money.of()")
        exact = self.amount.quantize(_quantum(self.currency), rounding=ROUND_HALF_EVEN)
        if exact != self.amount:
            raise InvalidAmount(f"{self.amount} has more decimals than {self.currency} allows")
        # Normalise the representation so that equal amounts print the same ("5" -> "5.00").
        object.__setattr__(self, "amount", exact)

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        """Money from an amount already at the currency's exponent (from minor units, or a
        sum of two such amounts), without checking it again: a posting makes a few dozen
        of these, and the check was most of their cost."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(D(value), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """One per currency (Money is immutable): every posting checks its legs against it."""
        found = _ZEROS.get(currency)
        if found is None:
            found = _ZEROS[currency] = cls.from_minor(0, currency)
        return found

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError("minor units are an int")
        return cls._exact(Decimal(minor).scaleb(-minor_exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units (cents), as stores keep it."""
        return int(self.amount.scaleb(minor_exponent(self.currency)))

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidAmount(f"cannot mix {self.currency} and {other.currency}")

    # Both sides are at the currency's exponent, and so is their sum (within Decimal's 28
    # digits, far beyond any amount the bank admits).
    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money._exact(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money._exact(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money._exact(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        """The wire format: plain decimal text with exactly the minor digits, e.g. "12.30"."""
        # An amount is always at its currency's exponent (-2 for each of MINOR_UNITS), and
        # str() writes plain digits for any exponent from 0 to -6: the same text as
        # format(amount, "f"), in a quarter of the time (a property test holds them equal).
        return str(self.amount)

    def display(self) -> str:
        """For people: thousands separators and the currency code, e.g. "1,234.50 USD"."""
        return f"{self.amount:,.{minor_exponent(self.currency)}f} {self.currency}"


def parse_amount(
    text: object, currency: str = DEFAULT_CURRENCY, *, limit: Money | None = None
) -> Money:
    """Parse a customer-supplied amount for a posting.

    Accepts only text in plain decimal notation, greater than zero, with at most the currency's
    minor digits, and not above `limit`. Anything else raises InvalidAmount with a message fit
    to show the customer.
    """
    if not isinstance(text, str):
        raise InvalidAmount('amount must be a string such as "12.34", not a JSON number')
    text = text.strip()
    if not _AMOUNT_TEXT.match(text):
        raise InvalidAmount('amount must be a positive number such as "12.34"')
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidAmount("amount is not a number") from None
    digits = minor_exponent(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise InvalidAmount(f"amount may have at most {digits} decimal places")
    if value <= 0:
        raise InvalidAmount("amount must be greater than zero")
    money = Money(value, currency)
    if limit is not None and limit < money:
        raise InvalidAmount(f"amount may not exceed {limit.display()} per transaction")
    return money
