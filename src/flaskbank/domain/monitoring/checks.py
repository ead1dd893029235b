"""What each rule type looks at: a pure function of its (compiled) parameters and the
situation of one posting (the candidate, the customer's profile, the source account's recent
entries, newest first), returning the explanation when the rule fires and None otherwise.

Parameters arrive compiled (rules.compile_params): amounts as integer minor units, windows
in seconds, ratios as fractions, so that the checks run on ints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from ..ledger import TransactionType
from .model import Candidate
from .profile import DAY_SECONDS, Profile, log_amount, month_of

DEPOSIT = TransactionType.DEPOSIT
WITHDRAWAL = TransactionType.WITHDRAWAL
TRANSFER = TransactionType.TRANSFER


class RecentEntry(NamedTuple):
    """One entry of the source account's recent history: when, the signed amount (minor
    units; negative leaves the account), the transaction type, the counterparty as the
    history shows it, and the balance after it (None when unknown)."""

    at: int  # seconds since the epoch
    amount: int
    type: TransactionType
    counterparty: str
    balance_after: int | None = None


class Situation:
    """One posting as the rules see it; built once per score() call."""

    __slots__ = ("c", "p", "recent", "t", "amount", "debit", "to_own")

    def __init__(self, c: Candidate, p: Profile, recent: Sequence[RecentEntry], t: int) -> None:
        self.c = c
        self.p = p
        self.recent = recent
        self.t = t
        self.amount = c.amount
        self.debit = c.type is not DEPOSIT
        to = c.counterparty_account_id
        self.to_own = c.to_own_account or (to is not None and to in p.own)


Params = Mapping[str, Any]
Check = Callable[[Params, Situation], "str | None"]


def money(amount: int) -> str:
    """9800_00 -> "9,800.00": as analysts read amounts (no float on the way)."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}{amount // 100:,}.{amount % 100:02d}"


def _hours(secs: int) -> str:
    """A window in words, in the largest whole unit: "2 days", "1 hour", "90 minutes"."""
    if secs % DAY_SECONDS == 0 and secs >= DAY_SECONDS:
        n, unit = secs // DAY_SECONDS, "day"
    elif secs % 3600 == 0:
        n, unit = secs // 3600, "hour"
    else:
        n, unit = secs // 60, "minute"
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _times(amount: int, base: int) -> str:
    tenths = amount * 10 // base
    return f"{tenths // 10}.{tenths % 10}"


# -- the rule types ---------------------------------------------------------------------------
def amount_over(p: Params, s: Situation) -> str | None:
    if s.amount < p["amount"] or s.c.type.value not in p["types"]:
        return None
    return f"{s.c.type.value} of {money(s.amount)} is at least {money(p['amount'])}"


def typical_multiple(p: Params, s: Situation) -> str | None:
    amount = s.amount
    to = s.c.counterparty_account_id
    if not s.debit or amount < p["min_amount"] or s.to_own:
        return None
    k: Fraction = p["k"]
    # From the start of a day, so that the typical debit is worked out once a day per customer.
    since = (s.t - p["lookback"]) // DAY_SECONDS * DAY_SECONDS
    transfer = int(to is not None)
    usual = s.p.typical_debit(since, transfer)
    typical = usual.amount
    if usual.n < p["min_history"] or typical <= 0:
        return None
    if amount * k.denominator < k.numerator * typical:
        return None
    # Far out for this customer: a wide spender's 20x is a Saturday, a steady one's is not.
    deviations: Fraction = p["deviations"]
    above_mean = log_amount(amount) - usual.mean_log
    if above_mean * deviations.denominator < deviations.numerator * usual.spread:
        return None
    # Rent that went up, a yearly bill: large against the typical debit but like what the
    # customer paid before. Only an amount well past the largest one stands out.
    above: Fraction = p["over_largest"]
    if amount * above.denominator <= above.numerator * usual.largest:
        return None
    what = "transfer" if transfer else "cash withdrawal"
    if usual.spread:
        tenths = above_mean * 10 // usual.spread
        far = f"{tenths // 10}.{tenths % 10} standard deviations of their own above it"
    else:
        far = "all of those alike"
    return (
        f"amount {money(amount)} is {_times(amount, typical)}x this customer's typical "
        f"{what} {money(typical)}, {far} (the geometric mean of {usual.n} since "
        f"{_month(since)}; the largest was {money(usual.largest)})"
    )


def _month(t: int) -> str:
    month = month_of(t)
    return f"{month // 12}-{month % 12 + 1:02d}"


def velocity(p: Params, s: Situation) -> str | None:
    if not s.debit:
        return None
    since = s.t - p["window"]
    count, total = 1, s.amount
    for e in s.recent:
        if e.at < since:
            break
        if e.amount < 0:
            count += 1
            total -= e.amount
    most_count: int = p["count"]
    most_sum: int = p["sum"]
    window = _hours(p["window"])
    if most_count and count >= most_count:
        return f"{count} debits in {window} (limit {most_count})"
    if most_sum and total >= most_sum:
        return f"debits of {money(total)} in {window} (limit {money(most_sum)})"
    return None


def new_payee(p: Params, s: Situation) -> str | None:
    to = s.c.counterparty_account_id
    if to is None or s.to_own or s.p.knows(to):
        return None
    amount = s.amount
    if amount >= p["amount"]:
        return f"transfer of {money(amount)} to an account this customer never dealt with"
    share: Fraction = p["balance_share"]
    balance = s.recent[0].balance_after if s.recent else None
    if (
        share
        and balance
        and amount >= p["min_amount"]
        and amount * share.denominator >= share.numerator * balance
    ):
        return (
            f"transfer of {money(amount)}, {amount * 100 // balance}% of the balance "
            f"{money(balance)}, to an account this customer never dealt with"
        )
    return None


def rapid_in_out(p: Params, s: Situation) -> str | None:
    if not s.debit or s.amount < p["min_amount"] or s.to_own:
        return None
    to = s.c.counterparty_account_id
    where = "cash" if to is None else "known_payee" if s.p.knows(to) else "new_payee"
    if where not in p["to"]:
        return None
    since = s.t - p["window"]
    inflow, senders = 0, 0
    for at, amount, new in reversed(s.p.credits):
        if at < since:
            break
        if new:
            inflow += amount
            senders += 1
    if senders < p["senders"] or inflow <= 0:
        return None
    outflow = s.amount
    for at, amount, _ in reversed(s.p.debits):
        if at < since:
            break
        outflow += amount
    share: Fraction = p["share"]
    if outflow * share.denominator < share.numerator * inflow:
        return None
    return (
        f"{money(outflow)} out within {_hours(p['window'])} of {money(inflow)} in "
        f"from {senders} new senders"
    )


def round_amounts(p: Params, s: Situation) -> str | None:
    unit: int = p["unit"]
    least: int = p["min_amount"]
    if not s.debit or s.amount < least or s.amount % unit:
        return None
    since = s.t - p["window"]
    count = 1
    for e in s.recent:
        if e.at < since:
            break
        if e.amount < 0 and -e.amount >= least and e.amount % unit == 0:
            count += 1
    if count < p["count"]:
        return None
    return (
        f"{count} debits of whole multiples of {money(unit)} (at least {money(least)}) "
        f"within {_hours(p['window'])}"
    )


def unusual_hour(p: Params, s: Situation) -> str | None:
    if s.amount < p["min_amount"]:
        return None
    hours = s.p.hours
    total = sum(hours)
    if total < p["min_history"]:
        return None
    hour = (s.t // 3600) % 24
    near = hours[hour] + hours[hour - 1] + hours[(hour + 1) % 24]
    if near * 100 >= p["percent"] * total:
        return None
    return (
        f"{hour:02d}:00 UTC: {near} of this customer's {total} postings fell within an hour "
        f"of it (under {p['percent']}%)"
    )


def dormant(p: Params, s: Situation) -> str | None:
    last = s.p.last_at
    if not s.debit or not last or s.t - last < p["days"]:
        return None
    return f"money out after {(s.t - last) // DAY_SECONDS} days without activity"


def after_security(p: Params, s: Situation) -> str | None:
    if not s.p.security or not s.debit or s.amount < p["min_amount"]:
        return None
    since = s.t - p["window"]
    kinds: frozenset[str] = p["events"]
    for at, what in reversed(s.p.security):
        if at < since:
            break
        if _security_kind(what) in kinds:
            ago = (s.t - at) // 60
            return f"{s.c.type.value} of {money(s.amount)} {ago} minutes after: {what}"
    return None


def _security_kind(what: str) -> str:
    if what.startswith("new device"):
        return "new_device"
    if what.startswith("new IP"):
        return "new_ip"
    return "password" if what.startswith("password") else "email"


def structuring(p: Params, s: Situation) -> str | None:
    limit: int = p["limit"]
    floor: int = p["floor"]
    if s.c.type is not DEPOSIT or not floor <= s.amount < limit:
        return None
    since = s.t - p["window"]
    total, count = s.amount, 1
    for e in s.recent:
        if e.at < since:
            break
        if e.type is DEPOSIT and floor <= e.amount < limit:
            total += e.amount
            count += 1
    if count < 2 or total <= limit:
        return None
    return (
        f"{count} cash deposits just under {money(limit)} within {_hours(p['window'])} "
        f"add up to {money(total)}"
    )
