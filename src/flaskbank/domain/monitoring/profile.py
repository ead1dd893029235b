"""A customer's monitoring profile: what the rules compare a posting with (typical amounts,
counterparties seen, usual hours, last activity, known devices and IP addresses, recent
security events), kept small and bounded so that a posting reads and writes it in one round
trip. Built up from the event feed by observe(), one event at a time, idempotently.

Times are whole seconds since the epoch (UTC), amounts integer minor units: the profile is
read and updated on every posting and in replays of millions.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import NamedTuple

from ..events import Event, EventKind
from .model import StoredProfile

#: Bounds that keep a profile to a few kilobytes whatever the customer does.
MAX_DEBITS = 64  # recent debits, for rapid in-out (money out in a window)
MAX_MONTHS = 14  # months of debit statistics per kind: the longest lookback (400 days) and now
MAX_CREDITS = 12  # recent transfers in, for rapid in-out
MAX_COUNTERPARTIES = 48
MAX_DEVICES = 6
MAX_SECURITY = 6
MAX_SEEN = 8
MAX_OWN = 6

DAY_SECONDS = 86_400

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAYS: dict[str, int] = {}
_MONTHS: dict[int, int] = {}
_last: list[tuple[str, int]] = [("", 0)]


def seconds(at: str) -> int:
    """Seconds since the epoch of an ISO 8601 UTC time as the bank writes it
    ("2024-03-01T09:30:00.000000Z"). Replays parse millions of times, the same event's
    time several times in a row (scoring, then each side's profile), and datetime parsing
    dominated them: the last answer is kept, and each day's start is looked up once."""
    last = _last[0]
    if last[0] == at:
        return last[1]
    day = _DAYS.get(at[:10])
    if day is None:
        day = (date.fromisoformat(at[:10]).toordinal() - _EPOCH_ORDINAL) * DAY_SECONDS
        _DAYS[at[:10]] = day
    found = day + int(at[11:13]) * 3600 + int(at[14:16]) * 60 + int(at[17:19])
    _last[0] = (at, found)
    return found


def month_of(t: int) -> int:
    """The calendar month (UTC) of a time in seconds, as year * 12 + month - 1."""
    day = t // DAY_SECONDS
    found = _MONTHS.get(day)
    if found is None:
        d = date.fromordinal(_EPOCH_ORDINAL + day)
        found = _MONTHS[day] = d.year * 12 + d.month - 1
    return found


def log_amount(amount: int) -> int:
    """ln(amount in minor units), in millionths: summed per month, so that the typical debit
    is a geometric mean. A statistic of amounts, never an amount: whole numbers in storage."""
    return round(math.log(max(amount, 1)) * 1_000_000)


class Typical(NamedTuple):
    """A customer's debits of one kind over a lookback: how many, the typical one (geometric
    mean, minor units), the largest, and the mean and standard deviation of their
    log_amount (millionths)."""

    n: int
    amount: int
    largest: int
    mean_log: int
    spread: int


class Profile:
    """Per-customer state. `debits` are (time, amount, transfer?) of money leaving for
    someone else, oldest first; `months` sums them by (transfer?, month): how many, the sum
    of their log_amount, the largest, and the sum of log_amount squared, over the last
    MAX_MONTHS months; `credits` (time,
    amount, from a new counterparty?) of transfers in from others; `counterparties` the
    accounts paid or paid by, least recently seen first; `own` the customer's accounts seen;
    `hours` how many of the customer's own postings fell in each UTC hour; `security` (time,
    what) of new devices and IP addresses, password and email changes."""

    __slots__ = (
        "user_id",
        "debits",
        "months",
        "credits",
        "counterparties",
        "own",
        "hours",
        "first_at",
        "last_at",
        "postings",
        "devices",
        "ips",
        "security",
        "seen",
        "_typical",
    )

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.debits: list[tuple[int, int, int]] = []
        # month * 2 + transfer? -> (n, logs, largest, squares): ints and tuples of ints, which
        # the garbage collector stops tracking; a replay holds a profile per customer.
        self.months: dict[int, tuple[int, int, int, int]] = {}
        self.credits: list[tuple[int, int, int]] = []
        self.counterparties: dict[str, int] = {}
        self.own: list[str] = []
        self.hours = [0] * 24
        self.first_at = 0
        self.last_at = 0
        self.postings = 0  # postings ever seen on the customer's accounts
        self.devices: list[str] = []
        self.ips: list[str] = []
        self.security: list[tuple[int, str]] = []
        self.seen: list[str] = []
        # (since, transfer?) -> (count, median, largest) last computed; debits reset it
        self._typical: tuple[int, int, Typical] | None = None

    # -- what rules ask -------------------------------------------------------------------
    def typical_debit(self, since: int, transfer: int) -> Typical:
        """The debits of this kind (transfers: 1, cash: 0) in the months from the one `since`
        falls in. Typical is their geometric mean: a year of a customer's payments pins it
        down far better than the median of the last 64, and it is what a log-normal
        spender's amounts scatter around; the spread is the standard deviation of their
        log_amount, so that "far out" means far out for this customer."""
        cached = self._typical
        if cached is not None and cached[0] == since and cached[1] == transfer:
            return cached[2]
        first = month_of(since)
        n = logs = squares = largest = 0
        for key, (count, total, most, total_sq) in self.months.items():
            if key & 1 == transfer and key >> 1 >= first:
                n += count
                logs += total
                squares += total_sq
                largest = max(largest, most)
        found = Typical(n, 0, largest, 0, 0)
        if n:
            mean = logs / n
            spread = math.sqrt(max(squares / n - mean * mean, 0) * n / (n - 1)) if n > 1 else 0.0
            found = Typical(n, round(math.exp(mean / 1e6)), largest, round(mean), round(spread))
        self._typical = (since, transfer, found)
        return found

    def knows(self, account_id: str) -> bool:
        return account_id in self.counterparties or account_id in self.own

    # -- storage --------------------------------------------------------------------------
    @classmethod
    def load(cls, stored: StoredProfile | None, user_id: str) -> Profile:
        p = cls(user_id)
        if stored is None or not stored.data:
            return p
        d = json.loads(stored.data)
        p.debits = [(int(t), int(a), int(k)) for t, a, k in d.get("d", [])]
        if "m" in d:
            p.months = {
                int(r[1]) * 2 + int(r[0]): (int(r[2]), int(r[3]), int(r[4]), int(r[5]))
                for r in d["m"]
            }
        else:  # a profile kept before the monthly sums: start them from its recent debits
            for t, a, k in p.debits:
                _count_debit(p, t, a, k)
        p.credits = [(int(t), int(a), int(k)) for t, a, k in d.get("i", [])]
        p.counterparties = {str(k): int(t) for k, t in d.get("c", [])}
        p.own = [str(a) for a in d.get("o", [])]
        hours = d.get("h")
        p.hours = (
            [int(h) for h in hours] if isinstance(hours, list) and len(hours) == 24 else p.hours
        )
        p.first_at = int(d.get("f", 0))
        p.last_at = int(d.get("l", 0))
        p.postings = int(d.get("n", 0))
        p.devices = [str(x) for x in d.get("dv", [])]
        p.ips = [str(x) for x in d.get("ip", [])]
        p.security = [(int(t), str(w)) for t, w in d.get("s", [])]
        p.seen = [str(x) for x in d.get("e", [])]
        return p

    def dump(self) -> str:
        return json.dumps(
            {
                "d": self.debits,
                "m": [[key & 1, key >> 1, *row] for key, row in self.months.items()],
                "i": self.credits,
                "c": list(self.counterparties.items()),
                "o": self.own,
                "h": self.hours,
                "f": self.first_at,
                "l": self.last_at,
                "n": self.postings,
                "dv": self.devices,
                "ip": self.ips,
                "s": self.security,
                "e": self.seen,
            },
            separators=(",", ":"),
        )


def observe(profile: Profile, event: Event, *, account_id: str | None) -> bool:
    """Apply one feed event from this customer's point of view: a transaction_posted on the
    customer's `account_id` (each side of a transfer between customers calls it once), or a
    login, password or email change of the customer. Applying an event twice changes
    nothing; returns whether this call changed the profile."""
    kind = event.kind
    if kind is _POSTED:
        if account_id is None:
            return False
        key = f"{event.id}:{account_id}"
    elif kind in _SECURITY_KINDS:
        key = event.id
    else:
        return False
    seen = profile.seen
    if key in seen:
        return False
    seen.append(key)
    if len(seen) > MAX_SEEN:
        del seen[0]
    t = seconds(event.at)
    if kind is _POSTED:
        _posted(profile, event, str(account_id), t)
    else:
        _security(profile, event, t)
    return True


_POSTED = EventKind.TRANSACTION_POSTED
_SECURITY_KINDS = frozenset(
    (EventKind.LOGIN_SUCCEEDED, EventKind.PASSWORD_CHANGED, EventKind.EMAIL_CHANGED)
)


def _posted(p: Profile, event: Event, account_id: str, t: int) -> None:
    payload = event.payload
    legs: list[dict[str, str]] = payload["legs"]  # type: ignore[assignment]
    mine = 0
    other: str | None = None
    for leg in legs:
        if leg["account_id"] == account_id:
            mine = minor(leg["amount"])
        else:
            other = leg["account_id"]
    own = p.own
    if account_id not in own:
        own.append(account_id)
        if len(own) > MAX_OWN:
            del own[0]
    transfer = payload["type"] == "transfer"
    # Money moved between the customer's own accounts is neither spending nor income.
    if transfer and (other is None or other in p.own):
        pass
    elif mine < 0:
        p.debits.append((t, -mine, int(transfer)))
        if len(p.debits) > MAX_DEBITS:
            del p.debits[0]
        _count_debit(p, t, -mine, int(transfer))
    elif transfer:
        p.credits.append((t, mine, int(other not in p.counterparties)))
        if len(p.credits) > MAX_CREDITS:
            del p.credits[0]
    if transfer and other is not None and other not in p.own:
        counterparties = p.counterparties
        counterparties.pop(other, None)
        counterparties[other] = t
        if len(counterparties) > MAX_COUNTERPARTIES:
            del counterparties[next(iter(counterparties))]
    if event.actor == p.user_id:
        p.hours[(t // 3600) % 24] += 1
    if not p.first_at:
        p.first_at = t
    p.last_at = max(p.last_at, t)
    p.postings += 1


def _count_debit(p: Profile, t: int, amount: int, transfer: int) -> None:
    # Inlined month_of and log_amount: a replay counts every debit of millions.
    month = _MONTHS.get(t // DAY_SECONDS)
    if month is None:
        month = month_of(t)
    months = p.months
    key = month * 2 + transfer
    row = months.get(key)
    if row is None:
        row = (0, 0, 0, 0)
        for old in [k for k in months if k & 1 == transfer and k >> 1 <= month - MAX_MONTHS]:
            del months[old]
    log = round(_log(amount if amount > 1 else 1) * 1_000_000)
    n, logs, largest, squares = row
    months[key] = (n + 1, logs + log, amount if amount > largest else largest, squares + log * log)
    p._typical = None


_log = math.log


def _security(p: Profile, event: Event, t: int) -> None:
    if event.kind is EventKind.LOGIN_SUCCEEDED:
        device, ip = event.payload.get("device"), event.payload.get("ip")
        # The first device and address a customer uses are not news: only later ones are.
        if isinstance(device, str) and device and device not in p.devices:
            if p.devices:
                _note(p, t, f"new device {device}")
            p.devices.append(device)
            if len(p.devices) > MAX_DEVICES:
                del p.devices[0]
        if isinstance(ip, str) and ip and ip not in p.ips:
            if p.ips:
                _note(p, t, f"new IP address {ip}")
            p.ips.append(ip)
            if len(p.ips) > MAX_DEVICES:
                del p.ips[0]
    elif event.kind is EventKind.PASSWORD_CHANGED:
        _note(p, t, "password changed")
    else:
        _note(p, t, "email changed")


def _note(p: Profile, t: int, what: str) -> None:
    p.security.append((t, what))
    if len(p.security) > MAX_SECURITY:
        del p.security[0]


def minor(text: str) -> int:
    """Integer minor units of an amount as the feed writes it ("-12.34", "5", "0.5"), for
    currencies of two decimals; exact, no float on the way."""
    if len(text) > 3 and text[-3] == ".":  # the feed's own form: fast
        return int(text[:-3] + text[-2:])
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    whole, _, cents = text.partition(".")
    value = int(whole or "0") * 100 + int((cents + "00")[:2])
    return -value if negative else value
