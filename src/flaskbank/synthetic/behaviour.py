"""What each segment does in a month: pay and spend by the calendar's rhythms, pay rent and
bills to business customers, move money between family, friends and their own accounts."""

from __future__ import annotations

import math
import random

from ..domain.labels import Pattern
from .clock import DAY, HOUR, ONLINE_HOURS, SPENDING_HOURS, Calendar
from .people import Customer, Segment, Trade
from .plan import Plan, cents, poisson

CARD_MEMOS = (
    "Card: groceries",
    "Card: fuel",
    "Card: restaurant",
    "Card: pharmacy",
    "Card: clothing",
    "Card: transport",
    "Card: cinema",
    "ATM cash",
)
FRIEND_MEMOS = ("Dinner", "Concert tickets", "Thanks!", "Birthday present", "Holiday share")


class Directory:
    """Business customers by trade, to pick payees from."""

    def __init__(self, people: list[Customer]) -> None:
        self.people = people
        self.by_trade: dict[Trade, list[int]] = {t: [] for t in Trade}
        for c in people:
            if c.trade is not None:
                self.by_trade[c.trade].append(c.index)

    def open_to(self, index: int, month: int, day: int) -> bool:
        """Whether the customer can be paid in this month: joined before `day`, not silent,
        and not waking from dormancy (its first move after the silence is its own)."""
        c = self.people[index]
        return (
            c.signup_day < day
            and c.active(month)
            and c.fates.get(Pattern.DORMANT_REACTIVATION) != month
        )

    def pick(self, rng: random.Random, trade: Trade, month: int, day: int) -> int | None:
        choices = self.by_trade[trade]
        for _ in range(4):
            if not choices:
                return None
            i = rng.choice(choices)
            if self.open_to(i, month, day):
                return i
        return None


def plan_month(
    rng: random.Random, cal: Calendar, d: Directory, c: Customer, month: int, plan: Plan
) -> None:
    first, end = cal.month_range(month)
    first = max(first, c.signup_day + 1)  # the signup day holds the opening deposit
    if first >= end:
        return
    years = max(0, month - cal.month_of_day(c.signup_day)) // 12
    me = c.index

    def day_in() -> int:
        day = cal.spending_day(rng, month)
        return day if day >= first else rng.randrange(first, end)

    def spend(n: int, mu: float, sigma: float) -> None:
        for _ in range(n):
            t = cal.at(rng, day_in(), SPENDING_HOURS)
            plan.withdraw(t, me, 0, cents(rng, mu, sigma), rng.choice(CARD_MEMOS))

    def pay(to: int | None, amount: int, memo: str, day: int) -> None:
        if to is not None and to != me and d.open_to(to, month, day):
            plan.transfer(cal.at(rng, day, ONLINE_HOURS), me, 0, to, 0, amount, memo)

    seg = c.segment
    if seg is Segment.SALARIED:
        payday = min(end - 1, max(first, cal.month_range(month)[0] + 24))
        employer = d.people[c.employer].full_name if c.employer is not None else "employer"
        if payday >= first:
            plan.deposit(
                payday * DAY + 6 * HOUR + rng.randrange(HOUR),
                me,
                0,
                int(c.salary * 1.03**years),
                f"Salary {employer}"[:140],
            )
        if not c.payees:
            landlord = d.pick(rng, Trade.LANDLORD, month, first)
            utilities = [d.pick(rng, Trade.UTILITY, month, first) for _ in range(2)]
            c.payees = [p for p in [landlord, *utilities] if p is not None]
        rent_day = min(end - 1, first + rng.randrange(3))
        for k, p in enumerate(c.payees):
            if k == 0:
                pay(p, int(c.rent * 1.04**years), "Rent", rent_day)
            else:
                pay(p, cents(rng, math.log(70), 0.4), "Utility bill", rng.randrange(first, end))
        spend(poisson(rng, 16), c.spend_mu, c.spend_sigma)
        for _ in range(poisson(rng, 2)):
            shop = d.pick(rng, Trade.SHOP, month, first)
            pay(shop, cents(rng, math.log(60), 0.8), "Online order", rng.randrange(first, end))
        sweep = min(end - 1, max(first, end - 3))
        plan.transfer(
            sweep * DAY + 21 * HOUR + rng.randrange(HOUR), me, 0, me, 1, 0.15, "Savings sweep"
        )
    elif seg is Segment.STUDENT:
        spend(poisson(rng, 10), c.spend_mu, c.spend_sigma)
        for _ in range(poisson(rng, 1.5)):
            t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
            plan.deposit(t, me, 0, cents(rng, math.log(80), 0.6), "Part-time job")
        for f in c.family:
            if d.people[f].segment in (Segment.SALARIED, Segment.RETIREE, Segment.HIGH_NET_WORTH):
                t_day = rng.randrange(first, end)
                if d.open_to(f, month, t_day) and rng.random() < 0.7:
                    plan.transfer(
                        cal.at(rng, t_day, ONLINE_HOURS),
                        f,
                        0,
                        me,
                        0,
                        cents(rng, math.log(150), 0.4),
                        "Allowance",
                    )
                break
    elif seg is Segment.BUSINESS:
        for day in range(first, end):
            if cal.weekday(day) == 0:
                plan.deposit(
                    day * DAY + 17 * HOUR + rng.randrange(2 * HOUR),
                    me,
                    0,
                    cents(rng, math.log(1800), 0.5, high=850_000),
                    "Takings",
                )
        for _ in range(poisson(rng, 3)):
            supplier = d.pick(rng, rng.choice((Trade.SHOP, Trade.UTILITY)), month, first)
            pay(
                supplier,
                cents(rng, math.log(500), 0.6),
                "Supplier invoice",
                rng.randrange(first, end),
            )
        spend(poisson(rng, 3), c.spend_mu, c.spend_sigma)
        # What builds up is set aside on the second account, not drawn in cash: a drawing of
        # a tenth of a landlord's takings would be a currency transaction report each month.
        t = cal.at(rng, end - 1, ONLINE_HOURS)
        plan.withdraw(t, me, 0, cents(rng, math.log(1500), 0.4, high=800_000), "Owner's drawing")
        plan.transfer(t + HOUR, me, 0, me, 1, 0.2, "Tax and reserves")
    elif seg is Segment.RETIREE:
        pension_day = min(end - 1, max(first, cal.month_range(month)[0] + 2))
        plan.deposit(pension_day * DAY + 5 * HOUR + rng.randrange(HOUR), me, 0, c.salary, "Pension")
        spend(poisson(rng, 6), c.spend_mu, c.spend_sigma)
        for f in c.family[:1]:
            if rng.random() < 0.3:
                pay(f, cents(rng, math.log(100), 0.5), "For you", rng.randrange(first, end))
    else:  # high net worth: rare and large
        t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
        plan.deposit(t, me, 0, c.salary, "Dividends")
        if rng.random() < 0.02:  # a large cash deposit: a currency transaction report
            t = cal.at(rng, rng.randrange(first, end), ONLINE_HOURS)
            plan.deposit(
                t,
                me,
                0,
                cents(rng, math.log(25_000), 0.4, low=1_000_001, high=9_000_000),
                "Cash deposit",
            )
        spend(poisson(rng, 4), c.spend_mu, c.spend_sigma)
        if rng.random() < 0.2:
            to = d.pick(rng, rng.choice((Trade.SHOP, Trade.LANDLORD)), month, first)
            pay(
                to,
                cents(rng, math.log(15_000), 0.5, high=9_000_000),
                "Purchase",
                rng.randrange(first, end),
            )
        plan.transfer(cal.at(rng, end - 1, ONLINE_HOURS), me, 0, me, 1, 0.3, "Investment sweep")
    for _ in range(poisson(rng, 0.8)):
        if c.friends:
            f = rng.choice(c.friends)
            pay(
                f,
                cents(rng, math.log(35), 0.6),
                rng.choice(FRIEND_MEMOS),
                rng.randrange(first, end),
            )
