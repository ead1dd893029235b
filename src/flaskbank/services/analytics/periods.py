"""Reporting periods: whole days, ISO weeks (Monday first), months, quarters and years.
Pure functions of dates."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def start_of(day: date, period: Period) -> date:
    """The first day of the period that holds `day`."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    if period is Period.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def after(start: date, period: Period) -> date:
    """The first day of the period after the one that starts on `start`."""
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def spans(first: date, last: date, period: Period) -> list[tuple[date, date]]:
    """The whole periods that cover first..last, each as (first day, last day)."""
    found, start = [], start_of(first, period)
    while start <= last:
        following = after(start, period)
        found.append((start, following - timedelta(days=1)))
        start = following
    return found


def year_before(start: date, period: Period) -> tuple[date, date]:
    """The same period a year earlier: the period holding the same date one year back
    (29 February counts as the 28th)."""
    earlier = start.replace(year=start.year - 1, day=min(start.day, 28 if start.month == 2 else 31))
    first = start_of(earlier, period)
    return first, after(first, period) - timedelta(days=1)
