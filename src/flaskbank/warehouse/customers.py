"""The drill-down of a figure that counts customers: which customers (`CustomerFilter`), where
a page of them starts (`CustomerKey`, a keyset cursor) and the page itself. The rules are
the reports' own: a first deposit within ACTIVATION_DAYS of signing up (customer
acquisition), a category at the end of a day by the last entry then (customer activity),
an entry in month k of the customer's life (cohorts). Standard library only, like the rest
of the port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .entries import EntryFilter

#: Activated: a deposit on a day no later than the signup day plus this many days.
ACTIVATION_DAYS = 30
#: Customer activity's categories at the end of a day (services/analytics/customer_activity).
CATEGORIES = ("active", "dormant", "churned", "never_active")


@dataclass(frozen=True)
class CustomerFilter:
    """Customers (role customer) whose signup day (reporting time zone) lies in
    signed_up_from..signed_up_to (None: unbounded) and who match every other field given.
    The segment `unknown` selects customers whose segment the warehouse does not know."""

    signed_up_from: date | None = None
    signed_up_to: date | None = None
    segment: str | None = None
    #: Only those with a deposit by the ACTIVATION_DAYS-th day after signing up.
    activated: bool = False
    #: Only those with an entry in month k of their life: after their (k-1)-month
    #: anniversary, up to and including the k-month one (customer_months' months).
    active_in_month: int | None = None
    #: The day the customers are looked at: only those signed up by its end, each with the
    #: last day they had an entry on or before it. Needed by `category`.
    at: date | None = None
    #: Only those in this category (CATEGORIES) at the end of `at`, judged with `windows`:
    #: (active days, churned days), as customer activity counts.
    category: str | None = None
    windows: tuple[int, int] | None = None
    #: Only those with at least one entry this filter selects (the builder's active
    #: customers: an entry of the period, currency, type and account type counted).
    entries: EntryFilter | None = None

    def __post_init__(self) -> None:
        if self.category is not None:
            if self.category not in CATEGORIES:
                raise ValueError(f"no category {self.category!r}")
            if self.at is None or self.windows is None:
                raise ValueError("a category is judged at the end of a day, with its windows")
        if self.active_in_month is not None and self.active_in_month < 1:
            raise ValueError("month 1 is the first month of a customer's life")


@dataclass(frozen=True, order=True)
class CustomerKey:
    """A customer's place in the list's one order: signup day, then id."""

    signed_up: date
    customer_id: str


@dataclass(frozen=True)
class ListedCustomer:
    customer_id: str
    signed_up: date  # reporting time zone
    segment: str | None
    last_entry: date | None  # on or before the filter's `at` (any, without one)
    category: str | None  # at the end of `at`, when the filter asks for one

    @property
    def key(self) -> CustomerKey:
        return CustomerKey(self.signed_up, self.customer_id)


@dataclass(frozen=True)
class CustomerPage:
    """Up to `size` customers, the latest signups first, and whether more lie either side."""

    customers: list[ListedCustomer]
    newer: bool
    older: bool
