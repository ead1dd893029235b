"""The generator's main loop: month by month, plan what every customer does (signing up,
their segment's activity, logins, planted patterns, leaving through the bank), then carry
it out in time order, so that the postings of the whole load come in time order and batches
can be cut anywhere."""

from __future__ import annotations

import math
import random
from collections.abc import Generator

from ..domain.labels import Pattern
from ..store.base import BulkBatch
from .behaviour import Directory, plan_month
from .books import Books
from .clock import DAY, HOUR, MINUTE, ONLINE_HOURS, Calendar
from .ids import Ids
from .options import Options
from .patterns import plan_patterns
from .people import Customer, Segment, make_customers
from .plan import Action, Do, Plan, cents
from .security import plan_logins

#: A typical first deposit by segment (dollars) and the most it can be (cents): under the
#: cash reporting limit, so that large cash stays as rare as at a real bank.
OPENING = {
    Segment.SALARIED: (1500, 900_000),
    Segment.STUDENT: (200, 200_000),
    Segment.BUSINESS: (5000, 950_000),
    Segment.RETIREE: (4000, 950_000),
    Segment.HIGH_NET_WORTH: (9_000, 990_000),
}


def generate(options: Options, password_hash: str) -> Generator[BulkBatch, None, None]:
    """The load's batches, the same for the same options: every customer shares
    `password_hash` (hashing one per customer would take longer than the rest)."""
    cal = Calendar(options.start, options.months)
    ids = Ids(options.seed)
    people = make_customers(
        options.seed, cal, options.customers, ids, options.pattern_rate, options.named
    )
    directory = Directory(people)
    books = Books(options.load_id, cal, ids, people, password_hash, options.batch_size)
    activity = random.Random(f"{options.seed}:activity")  # noqa: S311 - reproducible data
    security = random.Random(f"{options.seed}:security")  # noqa: S311
    planted = random.Random(f"{options.seed}:patterns")  # noqa: S311
    joined = 0
    later: list[Action] = []
    for month in range(cal.months):
        plan = Plan()
        plan.carry(later)
        first, end = cal.month_range(month)
        while joined < len(people) and people[joined].signup_day < end:
            _plan_signup(activity, cal, people[joined], plan)
            joined += 1
        for c in people[:joined]:
            waking = c.fates.get(Pattern.DORMANT_REACTIVATION) == month
            if c.active(month) and not waking:
                plan_month(activity, cal, directory, c, month, plan)
                plan_logins(security, cal, c, month, plan)
                if c.empties and month == c.silent_from - 1:
                    _plan_leaving(activity, cal, c, plan, end - 1)
            if c.fates and (c.active(month) or waking):
                balance = books.balances.get(c.accounts[0], 0) if c.accounts else 0
                plan_patterns(planted, cal, directory, c, month, plan, balance)
        # What falls after the period's end is dropped with the last month's leftovers.
        now, later = plan.in_order(end * DAY)
        for action in now:
            books.run(action)
            if len(books.pending.postings) >= options.batch_size:
                yield from books.batches()
        del now  # before the next month is planned: two months' plans at once are too many
        books.report_cash()
    yield from books.batches(final=True)


def _plan_signup(rng: random.Random, cal: Calendar, c: Customer, plan: Plan) -> None:
    t = c.signup_day * DAY + 8 * HOUR + rng.randrange(12 * HOUR)
    plan.add(t, Do.SIGNUP, c.index)
    typical, high = OPENING[c.segment]
    amount = cents(rng, math.log(typical), 0.5, low=2_000, high=high)
    plan.deposit(t + 5 * MINUTE, c.index, 0, amount, "Opening deposit")


def _plan_leaving(rng: random.Random, cal: Calendar, c: Customer, plan: Plan, day: int) -> None:
    """A leaver who takes their money asks the bank to close their accounts, as a real one
    would (not walk out with it in cash): the bank moves each other account's balance to
    the main one and closes it, then pays the main one's out by cheque and closes it
    (Books._close, the live path's staff closing)."""
    t = cal.at(rng, day, ONLINE_HOURS)
    for slot in range(1, len(c.accounts)):
        plan.close(t + slot * MINUTE, c.index, slot, 0)
    plan.close(t + 10 * MINUTE, c.index, 0, None)
