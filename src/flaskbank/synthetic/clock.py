"""Time in the synthetic bank: microseconds since the first day's midnight (UTC), the months
of the period, and the rhythms of the week and the day that activity follows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

DAY = 86_400_000_000
HOUR = 3_600_000_000
MINUTE = 60_000_000


def _by_weight(weights: list[int]) -> tuple[int, ...]:
    """Each index repeated as often as its weight: a uniform pick from it is a weighted pick
    (a tenth of the time of random.choices, which a posting pays several times)."""
    return tuple(i for i, w in enumerate(weights) for _ in range(w))


#: Card-like spending by hour of day: lunch and the evening, little at night.
SPENDING_HOURS = _by_weight(
    [1, 1, 1, 1, 1, 2, 4, 8, 10, 11, 12, 16, 22, 18, 12, 12, 15, 20, 22, 18, 12, 8, 4, 2]
)
#: Logins and transfers by hour: office hours and the evening.
ONLINE_HOURS = _by_weight(
    [1, 1, 1, 1, 1, 2, 6, 12, 16, 14, 12, 12, 14, 12, 10, 10, 12, 14, 16, 18, 18, 14, 8, 3]
)
#: Spending by weekday (Monday first): Friday and Saturday are the busiest.
WEEKDAYS = (10, 10, 11, 12, 16, 18, 9)


class Calendar:
    """The period's days and months, with the text form of each day kept once."""

    def __init__(self, start: date, months: int) -> None:
        self.start = start
        self.months = months
        #: The first day's midnight in microseconds since 1970 (UTC): ids carry the time.
        self.epoch_us = (
            int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()) * 10**6
        )
        bounds = []
        y, m = start.year, start.month
        for _ in range(months + 1):
            bounds.append(
                (date(y, m, 1) - start).days if (y, m) != (start.year, start.month) else 0
            )
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        self.month_days = bounds  # first day (index) of each month, and the end
        self.days = bounds[-1]
        self._text = [(start + timedelta(days=d)).isoformat() for d in range(self.days + 1)]
        self._weekday = [(start + timedelta(days=d)).weekday() for d in range(self.days + 1)]
        self._spend_days: dict[int, tuple[int, ...]] = {}

    def iso(self, t: int) -> str:
        """The bank's text form of a time (domain.ledger.utc_iso), which sorts as time."""
        day, rest = divmod(t, DAY)
        h, rest = divmod(rest, HOUR)
        m, rest = divmod(rest, MINUTE)
        s, us = divmod(rest, 1_000_000)
        return f"{self._text[day]}T{h:02d}:{m:02d}:{s:02d}.{us:06d}Z"

    def day_of(self, t: int) -> int:
        return t // DAY

    def month_of_day(self, day: int) -> int:
        for m in range(self.months):
            if day < self.month_days[m + 1]:
                return m
        return self.months - 1

    def weekday(self, day: int) -> int:
        return self._weekday[day]

    def month_range(self, month: int) -> tuple[int, int]:
        """First day and the day after the last of the month."""
        return self.month_days[month], self.month_days[month + 1]

    def spending_day(self, rng: random.Random, month: int) -> int:
        """A day of the month, weighted by the weekly rhythm."""
        days = self._spend_days.get(month)
        if days is None:
            first, end = self.month_range(month)
            weights = [WEEKDAYS[self._weekday[d]] for d in range(first, end)]
            days = self._spend_days[month] = tuple(first + i for i in _by_weight(weights))
        return days[int(rng.random() * len(days))]

    @staticmethod
    def at(rng: random.Random, day: int, hours: tuple[int, ...]) -> int:
        """A moment on `day`, its hour drawn from a rhythm (a _by_weight table)."""
        hour = hours[int(rng.random() * len(hours))]
        return day * DAY + hour * HOUR + int(rng.random() * HOUR)
