"""Security events: logins with their device and IP address (a few failing first), and the
password and email changes customers make, with the payloads the services write
(services/authentication.py, services/customers.py) plus the device."""

from __future__ import annotations

import random

from ..domain.events import EventKind
from ..domain.labels import Pattern
from .clock import ONLINE_HOURS, Calendar
from .people import Customer, Segment
from .plan import Plan, poisson

LOGINS_PER_MONTH = {
    Segment.SALARIED: 8,
    Segment.STUDENT: 12,
    Segment.BUSINESS: 10,
    Segment.RETIREE: 3,
    Segment.HIGH_NET_WORTH: 4,
}


def plan_logins(rng: random.Random, cal: Calendar, c: Customer, month: int, plan: Plan) -> None:
    first, end = cal.month_range(month)
    first = max(first, c.signup_day + 1)
    if first >= end:
        return
    if rng.random() < 0.01:  # a new phone now and then: a new device that is no takeover
        c.devices.append(f"{rng.choice(('ios', 'android'))}-{rng.getrandbits(32):08x}")
    for _ in range(poisson(rng, LOGINS_PER_MONTH[c.segment])):
        t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
        device = rng.choice(c.devices)
        ip = c.home_ip if rng.random() < 0.8 else _mobile_ip(rng)
        if rng.random() < 0.03:  # a mistyped password first
            plan.event(
                t - 40_000_000,
                c.index,
                EventKind.LOGIN_FAILED,
                {"attempt": "login_failed", "failures": 1, "ip": ip, "device": device},
            )
        plan.login(t, c.index, ip, device)
    takeover = c.fates.get(Pattern.ACCOUNT_TAKEOVER)
    if c.password_change == month:
        t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
        plan.login(t, c.index, c.home_ip, c.devices[0])
        plan.event(t + 90_000_000, c.index, EventKind.PASSWORD_CHANGED, {})
    if c.email_change == month and takeover != month:
        t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
        plan.login(t, c.index, c.home_ip, c.devices[0])
        plan.event(
            t + 120_000_000,
            c.index,
            EventKind.EMAIL_CHANGED,
            {"old_email": c.email, "new_email": c.final_email},
        )


def _mobile_ip(rng: random.Random) -> str:
    return f"100.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
