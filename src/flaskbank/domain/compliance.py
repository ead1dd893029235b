"""Compliance findings and the corrective actions staff record against them.

The bank's rules of thumb (one place each): cash over CASH_REPORT_OVER on one day makes a
currency transaction report candidate; cash deposits just under it (from STRUCTURING_FROM)
that add past it within STRUCTURING_WINDOW_DAYS look like structuring, splitting cash so
that no single day reaches a report. Cash is what deposits and withdrawals move: the bank
has no other way in or out for money that is not a transfer between accounts.

A finding is named by a key that follows from what it is about (`kind:subject`), so that a
corrective action recorded today is shown beside the same finding tomorrow."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from .errors import ValidationFailed
from .identity import INVISIBLE
from .money import MINOR_UNITS

#: A currency transaction report is due for cash over this on one customer's day (each
#: currency on its own, in its major units): exactly this much is not over.
CASH_REPORT_OVER = Decimal("10000.00")
#: Cash deposits from this amount up to CASH_REPORT_OVER may be parts of a split sum.
STRUCTURING_FROM = Decimal("9000.00")
#: Such deposits that together pass CASH_REPORT_OVER within this many days (the first
#: deposit's day and the next two) are possible structuring.
STRUCTURING_WINDOW_DAYS = 3
#: The review covers this many days up to today unless staff choose others.
DEFAULT_DAYS = 30
#: The longest range one review covers: a year and a day, enough for any annual look back.
MAX_DAYS = 366
ACTION_MAX = 1000


class FindingKind(StrEnum):
    LARGE_CASH = "large_cash"
    STRUCTURING = "structuring"
    KYC_GAP = "kyc_gap"
    FROZEN = "frozen"


_ID = r"[A-Za-z0-9_-]{1,64}"
_DAY = r"\d{4}-\d{2}-\d{2}"
_CURRENCY = r"[A-Z]{3}"
#: What follows `kind:` in each kind's key; the first group is the customer's or account's id.
_SUBJECTS = {
    FindingKind.LARGE_CASH: re.compile(rf"({_ID}):({_DAY}):({_CURRENCY})"),
    FindingKind.STRUCTURING: re.compile(rf"({_ID}):({_DAY}):({_CURRENCY})"),
    FindingKind.KYC_GAP: re.compile(rf"({_ID})"),
    FindingKind.FROZEN: re.compile(rf"({_ID}):([0-9T:.+Z-]{{10,40}})"),
}


def finding_key(kind: FindingKind, *parts: str) -> str:
    return ":".join((kind.value, *parts))


def parse_finding(key: object) -> tuple[FindingKind, str]:
    """The finding's kind and the id of what it is about (a customer's, or for a frozen
    account the account's); ValidationFailed naming `finding` for anything else."""
    text = key if isinstance(key, str) else ""
    kind_text, _, subject = text.partition(":")
    kind = next((k for k in FindingKind if k.value == kind_text), None)
    found = _SUBJECTS[kind].fullmatch(subject) if kind is not None else None
    if kind is None or found is None:
        raise ValidationFailed({"finding": "choose a finding from the compliance page"})
    return kind, found.group(1)


def over_minor(amount: Decimal, currency: str) -> int:
    """`amount` of `currency` in its minor units (10,000.00 USD: 1,000,000 cents)."""
    return int(amount.scaleb(MINOR_UNITS[currency]))


@dataclass(frozen=True, slots=True)
class CashDeposit:
    """One cash deposit a customer made, as the warehouse counts it (minor units)."""

    customer_id: str
    currency: str
    day: date
    transaction_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class SplitCash:
    """Deposits by one customer in one currency, from `first` to `last`, that look split."""

    customer_id: str
    currency: str
    first: date
    last: date
    deposits: int
    total: int


def structuring(deposits: Iterable[CashDeposit]) -> list[SplitCash]:
    """Each customer's near-threshold deposits in one currency, ordered by day: every
    window of STRUCTURING_WINDOW_DAYS that starts on a deposit's day and whose deposits add
    past CASH_REPORT_OVER is suspect, and overlapping suspect windows are one finding (a
    longer run of split deposits is one story, not several). By customer, then first day."""
    groups: dict[tuple[str, str], list[CashDeposit]] = defaultdict(list)
    for deposit in deposits:
        groups[(deposit.customer_id, deposit.currency)].append(deposit)
    found: list[SplitCash] = []
    for (customer, currency), group in sorted(groups.items()):
        group.sort(key=lambda d: (d.day, d.transaction_id))
        over = over_minor(CASH_REPORT_OVER, currency)
        runs: list[tuple[int, int]] = []
        for start, first in enumerate(group):
            end = start
            while end + 1 < len(group) and (group[end + 1].day - first.day) < timedelta(
                days=STRUCTURING_WINDOW_DAYS
            ):
                end += 1
            if sum(d.amount for d in group[start : end + 1]) <= over:
                continue
            if runs and start <= runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        for start, end in runs:
            part = group[start : end + 1]
            found.append(
                SplitCash(
                    customer,
                    currency,
                    part[0].day,
                    part[-1].day,
                    len(part),
                    sum(d.amount for d in part),
                )
            )
    return found


def thresholds(currencies: Iterable[str], amount: Decimal) -> Mapping[str, int]:
    """`amount` in each known currency's minor units (an unknown one is left out)."""
    return {c: over_minor(amount, c) for c in currencies if c in MINOR_UNITS}


@dataclass(frozen=True, slots=True)
class CorrectiveAction:
    """What a compliance officer did about a finding ("CTR filed", "customer contacted"):
    append-only, shown beside the finding, and audited."""

    id: str
    finding: str
    customer_id: str
    at: str
    author_id: str
    author_email: str
    text: str


def clean_action(text: object) -> str:
    """The action's words with their lines kept and trailing space trimmed; refused empty,
    too long, or holding invisible characters."""
    raw = unicodedata.normalize("NFKC", text) if isinstance(text, str) else ""
    body = "\n".join(line.rstrip() for line in raw.strip().splitlines())
    if not body:
        raise ValidationFailed({"text": "say what was done (for example: CTR filed)"})
    if len(body) > ACTION_MAX:
        raise ValidationFailed({"text": f"at most {ACTION_MAX} characters"})
    if any(c != "\n" and unicodedata.category(c) in INVISIBLE for c in body):
        raise ValidationFailed({"text": "use visible characters only"})
    return body
