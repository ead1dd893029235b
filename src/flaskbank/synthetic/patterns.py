"""The planted patterns, each a few steps with a Draft that becomes its label. Their
definitions (what a label promises; tests/test_synthetic_labels.py checks each):

- structuring: 3 to 5 cash deposits, each from 9,000.00 up to but not including 10,000.00,
  one a day on consecutive days, together past 10,000.00;
- rapid movement: money in from 2 or more other customers, then out to 2 or more, within
  48 hours, the outflow at least 80% of the inflow (a mule's fan-in and fan-out);
- account takeover: a login from a device the customer never used, then a password or
  email change, then transfers of most of the balance to customers never paid before;
- dormant reactivation: the customer's accounts silent for over 12 months, then money out;
- round amounts: 3 or more debits within 72 hours, each a whole multiple of 100.00 of at
  least 500.00;
- outlier: one debit at least 10 times the median of the customer's earlier debits, drawn
  4.25 to 5 standard deviations of the customer's own cash withdrawals (in logs) above
  their typical one: beyond what the customer's own spending reaches in 100,000 payments;
- large cash: cash deposits, or cash withdrawals, of one customer in one UTC day that add
  up to more than 10,000.00 (labelled wherever it happens: books.py);
- sanctioned name: a customer whose name is a look-alike of a listed one (the note names
  both; no transactions).
"""

from __future__ import annotations

import math
import random

from ..domain.events import EventKind, JsonValue
from ..domain.labels import Pattern
from .behaviour import Directory
from .clock import DAY, HOUR, MINUTE, ONLINE_HOURS, Calendar
from .people import Customer
from .plan import Do, Draft, Plan

ROUND_STEPS = (500_00, 1_000_00, 1_500_00, 2_000_00, 3_000_00)


def plan_patterns(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    balance: int,
) -> None:
    """Plant the patterns fated for this customer this month; `balance` is the main
    account's as the month begins."""
    first, end = cal.month_range(month)
    first = max(first, c.signup_day + 1)
    if first >= end - 7:
        first = max(cal.month_range(month)[0], end - 8)
    for pattern, when in c.fates.items():
        if when != month or pattern in (Pattern.SANCTIONED_NAME, Pattern.LARGE_CASH):
            continue
        day = rng.randrange(first, max(first + 1, end - 6))
        t = day * DAY + 9 * HOUR + rng.randrange(8 * HOUR)
        PLANTERS[pattern](rng, cal, d, c, month, plan, t, balance)
    if c.fates.get(Pattern.LARGE_CASH) == month:
        day = rng.randrange(first, end)
        if rng.random() < 0.5:
            amounts = [rng.randrange(1_000_001, 2_500_000)]
        else:
            amounts = [rng.randrange(600_000, 900_000) for _ in range(2)]
        for k, amount in enumerate(amounts):
            plan.deposit(
                day * DAY + (10 + 3 * k) * HOUR + rng.randrange(HOUR),
                c.index,
                0,
                amount,
                "Cash deposit",
            )


def _new_payee(rng: random.Random, d: Directory, c: Customer, month: int, day: int) -> int | None:
    known = {c.index, *c.family, *c.friends, *c.payees}
    for _ in range(10):
        i = rng.randrange(len(d.people))
        if i not in known and d.open_to(i, month, day):
            return i
    return None


def _structuring(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    n = rng.randrange(3, 6)
    draft = Draft(Pattern.STRUCTURING, c.index, n, {"in": n})
    for k in range(n):
        amount = rng.randrange(900_000, 1_000_000)
        at = t + k * DAY + rng.randrange(-HOUR, HOUR)
        plan.add(at, Do.DEPOSIT, c.index, 0, amount, "Cash deposit", draft, "in")


def _rapid_movement(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    day = t // DAY
    senders = [
        s
        for s in (_new_payee(rng, d, c, month, day) for _ in range(rng.randrange(3, 6)))
        if s is not None
    ]
    receivers = [
        r
        for r in (_new_payee(rng, d, c, month, day) for _ in range(rng.randrange(2, 4)))
        if r is not None
    ]
    draft = Draft(
        Pattern.RAPID_MOVEMENT, c.index, len(senders) + len(receivers), {"in": 2, "out": 2}
    )
    for s in senders:
        t += rng.randrange(5 * MINUTE, 40 * MINUTE)
        plan.add(t, Do.TRANSFER, s, 0, c.index, 0, 0.3, "Payment", draft, "in")
    t += rng.randrange(HOUR, 5 * HOUR)
    for k, r in enumerate(receivers):
        t += rng.randrange(10 * MINUTE, 50 * MINUTE)
        share = 0.95 if k == len(receivers) - 1 else 0.5
        plan.add(t, Do.TRANSFER, c.index, 0, r, 0, share, "Transfer", draft, "out")


def _takeover(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    device = f"{rng.choice(('android', 'web'))}-{rng.getrandbits(32):08x}"
    ip = ".".join(str(n) for n in (rng.choice((45, 91, 185, 196)), *rng.sample(range(1, 255), 3)))
    payees = [
        p
        for p in (_new_payee(rng, d, c, month, t // DAY) for _ in range(rng.randrange(1, 4)))
        if p is not None
    ]
    draft = Draft(
        Pattern.ACCOUNT_TAKEOVER,
        c.index,
        2 + len(payees),
        {"login": 1, "change": 1, "out": 1},
        note=f"new device {device} from {ip}",
    )
    plan.add(
        t,
        Do.EVENT,
        c.index,
        EventKind.LOGIN_SUCCEEDED,
        {"ip": ip, "device": device},
        draft,
        "login",
    )
    t += rng.randrange(5 * MINUTE, 30 * MINUTE)
    if c.email_change == month:
        payload: dict[str, JsonValue] = {"old_email": c.email, "new_email": c.final_email}
        plan.add(t, Do.EVENT, c.index, EventKind.EMAIL_CHANGED, payload, draft, "change")
    else:
        plan.add(t, Do.EVENT, c.index, EventKind.PASSWORD_CHANGED, {}, draft, "change")
    for p in payees:
        t += rng.randrange(2 * MINUTE, 30 * MINUTE)
        plan.add(t, Do.TRANSFER, c.index, 0, p, 0, rng.uniform(0.6, 0.9), "Transfer", draft, "out")


def _dormant(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    payee = _new_payee(rng, d, c, month, t // DAY)
    draft = Draft(Pattern.DORMANT_REACTIVATION, c.index, 3 if payee is not None else 2, {"out": 1})
    plan.add(
        t - 20 * MINUTE,
        Do.EVENT,
        c.index,
        EventKind.LOGIN_SUCCEEDED,
        {"ip": c.home_ip, "device": c.devices[0]},
        draft,
        "login",
    )
    plan.add(t, Do.WITHDRAW, c.index, 0, 0.5, "Cash withdrawal", draft, "out")
    if payee is not None:
        plan.add(t + 30 * MINUTE, Do.TRANSFER, c.index, 0, payee, 0, 0.9, "Transfer", draft, "out")


def _round_amounts(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    amounts: list[int] = []
    budget = balance * 0.6
    for _ in range(rng.randrange(4, 8)):
        step = rng.choice(ROUND_STEPS)
        if sum(amounts) + step <= budget:
            amounts.append(step)
    if len(amounts) < 3:
        return  # too little money to plant it on: the label would not hold
    draft = Draft(Pattern.ROUND_AMOUNTS, c.index, len(amounts), {"out": 3})
    for amount in amounts:
        t += rng.randrange(20 * MINUTE, 8 * HOUR)
        payee = _new_payee(rng, d, c, month, t // DAY)
        if payee is None or rng.random() < 0.5:
            plan.add(t, Do.WITHDRAW, c.index, 0, amount, "Cash withdrawal", draft, "out")
        else:
            plan.add(t, Do.TRANSFER, c.index, 0, payee, 0, amount, "Transfer", draft, "out")


def _outlier(
    rng: random.Random,
    cal: Calendar,
    d: Directory,
    c: Customer,
    month: int,
    plan: Plan,
    t: int,
    balance: int,
) -> None:
    # Measured against the customer's own spread: a fixed multiple (it was 25 to 40 times)
    # is far out for a retiree's steady spending and ordinary for a wide spender's.
    amount = round(math.exp(c.cash_mu + c.cash_sigma * rng.uniform(4.25, 5.0)) * 100)
    if amount > balance * 0.8:
        return
    draft = Draft(Pattern.OUTLIER, c.index, 1, {"out": 1})
    plan.add(
        cal.at(rng, t // DAY, ONLINE_HOURS),
        Do.WITHDRAW,
        c.index,
        0,
        amount,
        "Cash withdrawal",
        draft,
        "out",
    )


PLANTERS = {
    Pattern.STRUCTURING: _structuring,
    Pattern.RAPID_MOVEMENT: _rapid_movement,
    Pattern.ACCOUNT_TAKEOVER: _takeover,
    Pattern.DORMANT_REACTIVATION: _dormant,
    Pattern.ROUND_AMOUNTS: _round_amounts,
    Pattern.OUTLIER: _outlier,
}
