"""The bank's customers: who they are (Faker, seeded), which segment they belong to, when
they sign up (a growth trend, seasons and marketing spikes), and what will become of them
(churn, dormancy, the patterns planted on them), all decided when they are made so that the
users table holds what a customer ends up as (an email they will change, say)."""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import accumulate

from faker import Faker

from ..domain.labels import Pattern
from .clock import Calendar
from .ids import Ids


class Segment(StrEnum):
    SALARIED = "salaried"
    STUDENT = "student"
    BUSINESS = "business"
    RETIREE = "retiree"
    HIGH_NET_WORTH = "high_net_worth"


#: Shares of new customers by segment.
SEGMENT_SHARES = {
    Segment.SALARIED: 55,
    Segment.STUDENT: 15,
    Segment.BUSINESS: 12,
    Segment.RETIREE: 17,
    Segment.HIGH_NET_WORTH: 1,
}


class Trade(StrEnum):
    """What a business customer is to the others (the social graph's business side)."""

    LANDLORD = "landlord"
    UTILITY = "utility"
    SHOP = "shop"
    EMPLOYER = "employer"


#: Planted patterns: the share of customers each is planted on over the period, at
#: --pattern-rate 1 (realistic: well under 1% each). Large cash is also labelled wherever it
#: happens on its own (high net worth customers).
PATTERN_RATES = {
    Pattern.STRUCTURING: 0.0025,
    Pattern.RAPID_MOVEMENT: 0.002,
    Pattern.ACCOUNT_TAKEOVER: 0.002,
    Pattern.DORMANT_REACTIVATION: 0.003,
    Pattern.ROUND_AMOUNTS: 0.0025,
    Pattern.OUTLIER: 0.003,
    Pattern.LARGE_CASH: 0.002,
    Pattern.SANCTIONED_NAME: 0.001,
}
#: A dormant account is silent for over 12 months before it wakes.
DORMANT_MONTHS = 13
#: Monthly chance that a customer leaves (half empty their accounts first, half just stop).
CHURN_PER_MONTH = 0.008

#: Invented names standing in for a sanctions list (no real person's), and how look-alikes
#: of them are spelled.
LISTED_NAMES = (
    "Viktor Aleksandrovich Morozkin",
    "Hassan Abdelrahim Qasimi",
    "Dmitri Olegovich Varennikov",
    "Ahmad Reza Tavakolian",
    "Kim Chol Sung",
    "Miguel Angel Zambrano Ortiz",
)


def look_alike(rng: random.Random, name: str) -> str:
    """A spelling of a listed name that a careless match would miss: a transliteration, a
    dropped middle name, a doubled or swapped letter."""
    parts = name.split()
    how = rng.randrange(4)
    if how == 0 and len(parts) > 2:
        return f"{parts[0]} {parts[-1]}"
    if how == 1:
        swaps = {"v": "w", "k": "c", "i": "y", "a": "e", "o": "u"}
        word = parts[-1]
        for i, ch in enumerate(word):
            if ch in swaps:
                parts[-1] = word[:i] + swaps[ch] + word[i + 1 :]
                break
        return " ".join(parts)
    if how == 2:
        word = parts[0]
        i = rng.randrange(1, len(word))
        parts[0] = word[:i] + word[i] + word[i:]
        return " ".join(parts)
    word = parts[-1]
    i = rng.randrange(1, len(word) - 1)
    parts[-1] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return " ".join(parts)


@dataclass(slots=True)
class Customer:
    index: int
    id: str
    segment: Segment
    full_name: str
    email: str  # as registered
    signup_day: int
    trade: Trade | None = None
    final_email: str = ""  # what the users table holds (after a planned change)
    address: str = ""  # on one line, as the registration event carries it
    postal: str = ""  # the same address, one line per line, as the profile keeps it
    phone: str = ""
    born: str = ""
    household: int = 0
    accounts: list[str] = field(default_factory=list)  # account ids, checking first
    numbers: list[str] = field(default_factory=list)
    family: list[int] = field(default_factory=list)
    friends: list[int] = field(default_factory=list)
    payees: list[int] = field(default_factory=list)  # landlord and utilities, once chosen
    employer: int | None = None
    salary: int = 0  # minor units a month
    rent: int = 0
    spend_mu: float = 3.0  # log of a typical card payment in dollars
    spend_sigma: float = 0.9  # the spread of the log of card payments
    #: The log-mean and spread of all the customer's cash withdrawals, which an outlier is
    #: planted against: card spending, and for a business owner the monthly drawing too.
    cash_mu: float = 3.0
    cash_sigma: float = 0.9
    devices: list[str] = field(default_factory=list)
    home_ip: str = ""
    silent_from: int = 1 << 30  # month from which it does nothing
    silent_until: int = 1 << 30  # month it wakes (never, for a churn)
    empties: bool = False  # a leaver who takes their money first: the bank closes the accounts
    fates: dict[Pattern, int] = field(default_factory=dict)  # pattern -> month
    email_change: int | None = None  # month
    password_change: int | None = None
    listed: str = ""  # the listed name a look-alike resembles

    def active(self, month: int) -> bool:
        return not (self.silent_from <= month < self.silent_until)


def signup_days(rng: random.Random, calendar: Calendar, n: int) -> list[int]:
    """When the customers join: an opening book in the first fortnight, then a growing
    trend with seasons (a January bump, a summer lull) and a few week-long campaigns."""
    days = calendar.days
    campaigns = {rng.randrange(days) for _ in range(max(1, days // 150))}
    weights = []
    for d in range(days):
        trend = 1 + 2 * d / max(days, 1)
        day_of_year = (calendar.start.toordinal() + d) % 365
        season = (
            1 + 0.25 * math.cos(2 * math.pi * day_of_year / 365) - 0.15 * (170 < day_of_year < 240)
        )
        spike = 4 if any(0 <= d - c < 7 for c in campaigns) else 1
        weights.append(trend * season * spike)
    book = n // 5
    opening = [rng.randrange(min(14, days)) for _ in range(book)]
    rest = rng.choices(range(days), cum_weights=list(accumulate(weights)), k=n - book)
    return sorted(opening + rest)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_customers(
    seed: int,
    calendar: Calendar,
    n: int,
    ids: Ids,
    pattern_rate: float,
    named: tuple[tuple[str, str], ...] = (),
) -> list[Customer]:
    """Every customer of the period, in signup order; the first ones are the `named`
    (email, full name) salaried customers with no pattern planted on them (the demo's)."""
    rng = random.Random(f"{seed}:people")  # noqa: S311 - reproducible data, not security
    fake = Faker("en_US")
    fake.seed_instance(seed)
    segments = list(SEGMENT_SHARES)
    cum = list(accumulate(SEGMENT_SHARES.values()))
    people: list[Customer] = []
    surname = fake.last_name()
    household = 0
    for i, day in enumerate(signup_days(rng, calendar, n)):
        segment = rng.choices(segments, cum_weights=cum)[0]
        if rng.random() < 0.6:  # a new household; else the same family as the one before
            surname = fake.last_name()
            household += 1
        first = fake.first_name()
        name = f"{first} {surname}"
        c = Customer(i, ids.next("user"), segment, name, "", day, household=household)
        if segment is Segment.BUSINESS:
            c.trade = rng.choices(list(Trade), weights=(3, 2, 4, 3))[0]
            c.full_name = fake.company()
        c.postal = fake.address()
        c.address = c.postal.replace("\n", ", ")
        c.phone = fictional_phone(i)
        age = {Segment.STUDENT: (18, 25), Segment.RETIREE: (66, 90)}.get(segment, (26, 65))
        c.born = fake.date_of_birth(minimum_age=age[0], maximum_age=age[1]).isoformat()
        c.devices = [f"{rng.choice(('ios', 'android', 'web'))}-{rng.getrandbits(32):08x}"]
        c.home_ip = fake.ipv4_public()
        if i < len(named):
            c.segment, c.trade = Segment.SALARIED, None
            c.email = c.final_email = named[i][0]
            c.full_name = named[i][1]
            _economics(rng, c)
            people.append(c)
            continue
        _economics(rng, c)
        _fates(rng, calendar, c, pattern_rate)
        if Pattern.SANCTIONED_NAME in c.fates:
            c.listed = rng.choice(LISTED_NAMES)
            c.full_name = look_alike(rng, c.listed)
        local = re.sub("[^a-z0-9]+", ".", _ascii(c.full_name)).strip(".")
        c.email = f"{local}.{i}@{fake.free_email_domain()}"
        c.final_email = c.email
        if c.email_change is not None:
            c.final_email = f"{local}.{i}.new@{fake.free_email_domain()}"
        people.append(c)
    _social_graph(rng, people)
    return people


#: US area codes, each with the hundred numbers 555-0100 to 555-0199 reserved for fiction.
_AREAS = (202, 212, 305, 312, 415, 503, 512, 617, 702, 713, 720, 808, 907, 919, 206, 404)


def fictional_phone(index: int) -> str:
    """A phone number nobody has, in E.164 form, from the customer's index alone (no draw
    from the generator's random stream, so that every other value stays as it was)."""
    area = _AREAS[index // 100 % len(_AREAS)]
    return f"+1{area}555{100 + index % 100:04d}"


def _economics(rng: random.Random, c: Customer) -> None:
    """Salary, rent and how much a customer spends: per segment, from log-normals, in whole
    cents at once."""
    if c.segment is Segment.SALARIED:
        c.salary = min(int(rng.lognormvariate(math.log(3600), 0.35)) * 100, 900_000)
        c.rent = min(int(c.salary * rng.uniform(0.25, 0.35)) // 100 * 100 + 37_00, 400_000)
        c.spend_mu, c.spend_sigma = math.log(35), 0.9
    elif c.segment is Segment.STUDENT:
        c.spend_mu, c.spend_sigma = math.log(12), 0.8
    elif c.segment is Segment.RETIREE:
        c.salary = min(int(rng.lognormvariate(math.log(1900), 0.3)) * 100, 600_000)  # pension
        c.spend_mu, c.spend_sigma = math.log(30), 0.7
    elif c.segment is Segment.HIGH_NET_WORTH:
        c.salary = min(int(rng.lognormvariate(math.log(7500), 0.15)) * 100, 950_000)
        c.spend_mu, c.spend_sigma = math.log(180), 1.0
    else:
        c.spend_mu, c.spend_sigma = math.log(250), 0.7
    # A business owner's cash is three payments of about 250 (sigma 0.7) and a drawing of
    # about 1,500 (sigma 0.4) a month (behaviour.py): in logs, a mean of 5.97 and a spread
    # of 1.0 together. Everyone else's cash withdrawals are their card spending.
    c.cash_mu, c.cash_sigma = (
        (5.97, 1.0) if c.segment is Segment.BUSINESS else (c.spend_mu, c.spend_sigma)
    )


def _fates(rng: random.Random, calendar: Calendar, c: Customer, rate: float) -> None:
    months = calendar.months
    first = calendar.month_of_day(c.signup_day)
    # Leaving: a monthly hazard after the first month.
    for m in range(first + 2, months):
        if rng.random() < CHURN_PER_MONTH:
            c.silent_from, c.empties = m, rng.random() < 0.5
            break
    for pattern, share in PATTERN_RATES.items():
        if rng.random() >= share * rate:
            continue
        if pattern is Pattern.DORMANT_REACTIVATION:
            if first + 2 + DORMANT_MONTHS >= months or c.silent_from < months:
                continue
            start = rng.randrange(first + 2, months - DORMANT_MONTHS)
            c.silent_from = start
            c.silent_until = start + DORMANT_MONTHS
            c.fates[pattern] = c.silent_until
            continue
        if pattern is Pattern.SANCTIONED_NAME:
            c.fates[pattern] = first
            continue
        if first + 3 >= min(months, c.silent_from):
            continue
        c.fates[pattern] = rng.randrange(first + 3, min(months, c.silent_from))
    # Ordinary changes: a few customers change their password or email during the period.
    if first + 1 < months and rng.random() < 0.03:
        c.password_change = rng.randrange(first + 1, months)
    if first + 1 < months and rng.random() < 0.01:
        c.email_change = rng.randrange(first + 1, months)
    takeover = c.fates.get(Pattern.ACCOUNT_TAKEOVER)
    if takeover is not None and rng.random() < 0.3:
        c.email_change = takeover


def _social_graph(rng: random.Random, people: list[Customer]) -> None:
    """Households are families; everyone has a few friends; salaried customers work for an
    employer among the business customers."""
    by_household: dict[int, list[int]] = {}
    for c in people:
        by_household.setdefault(c.household, []).append(c.index)
    employers = [c.index for c in people if c.trade is Trade.EMPLOYER]
    for c in people:
        c.family = [i for i in by_household[c.household] if i != c.index]
        if len(people) > 1:
            c.friends = [rng.randrange(len(people)) for _ in range(rng.randrange(1, 5))]
            c.friends = [f for f in c.friends if f != c.index]
        if c.segment is Segment.SALARIED and employers:
            c.employer = rng.choice(employers)
