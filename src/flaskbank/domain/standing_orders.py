"""Standing orders: "pay 50.00 to account N every month on the 1st", until an end date.

The worker runs each order on each due date as a transfer whose idempotency key is the
order and the date, so that however often a run is retried (a worker restarted, two workers
racing), the bank pays once. A run that fails (no funds, a frozen account) is recorded and
shown; the order goes on to its next date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from .errors import ValidationFailed
from .ledger import MEMO_MAX

#: Days 29-31 do not come every month; a bank's standing orders offer 1-28 (or "last day").
LAST_DAY = 28
MAX_ORDERS_PER_CUSTOMER = 50


class OrderStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    FINISHED = "finished"  # past its end date


class RunOutcome(StrEnum):
    PAID = "paid"
    PENDING = "pending"  # the transfer waits for review on a hold
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StandingOrder:
    id: str
    user_id: str
    from_account_id: str
    to_account_number: str
    amount: str  # as the customer gave it, in the source account's currency ("50.00")
    memo: str
    day_of_month: int
    next_run: str  # YYYY-MM-DD: the next date to pay
    end_date: str | None
    status: OrderStatus
    created_at: str
    #: Bumped by every write of the record; the worker advances an order conditional on it.
    version: int = 0
    last_outcome: str = ""  # "paid 2026-12-01", "failed 2026-12-01: insufficient funds ..."

    def run_key(self, on: str) -> str:
        """The idempotency key of the run on `on`: one payment per order and date."""
        return f"standing-order:{self.id}:{on}"

    def is_due(self, today: str) -> bool:
        return self.status is OrderStatus.ACTIVE and self.next_run <= today

    def after_run(self, on: str, outcome: str) -> StandingOrder:
        """The order once its run on `on` is done: the next date, or finished past the end."""
        following = next_date(on, self.day_of_month)
        finished = self.end_date is not None and following > self.end_date
        return replace(
            self,
            next_run=following,
            status=OrderStatus.FINISHED if finished else self.status,
            last_outcome=outcome,
            version=self.version + 1,
        )


@dataclass(frozen=True, slots=True)
class Run:
    order_id: str
    on: str  # the date it paid for
    outcome: RunOutcome
    at: str
    transaction_id: str = ""
    detail: str = ""  # why it failed, or the hold it waits on


def next_date(after: str, day: int) -> str:
    """The first date strictly after `after` that falls on `day` of its month."""
    current = date.fromisoformat(after)
    year, month = current.year, current.month
    if current.day >= day:
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return date(year, month, day).isoformat()


def first_date(start: str, day: int) -> str:
    """The first date on or after `start` that falls on `day`."""
    begin = date.fromisoformat(start)
    if begin.day <= day:
        return date(begin.year, begin.month, day).isoformat()
    return next_date(start, day)


def clean_day(day: object) -> int:
    text = str(day).strip() if day is not None else ""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LAST_DAY:
        raise ValidationFailed({"day_of_month": f"a day from 1 to {LAST_DAY}"})
    return int(text)


def clean_date(value: object, field: str, *, required: bool) -> str | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed({field: "give a date like 2026-12-01"})
        return None
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValidationFailed({field: "give a date like 2026-12-01"}) from None


def clean_order_memo(memo: object) -> str:
    text = memo.strip() if isinstance(memo, str) else ""
    if len(text) > MEMO_MAX:
        raise ValidationFailed({"memo": f"memo may be at most {MEMO_MAX} characters"})
    return text
