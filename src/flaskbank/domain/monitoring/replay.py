"""Replaying a feed of events through the rules, touching no store: the same score() and
observe() as the live path, with each account's recent entries and each customer's profile
kept in memory, in feed order. Backtests run a draft rule set this way over a period of
history; evaluate() measures the alerts against the synthetic bank's labels.

An alert is a verdict of review or block. What counts as a true positive and as a detected
label is defined in evaluate() and docs/monitoring.md.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..events import Event, EventKind
from ..labels import Label, Pattern
from ..ledger import TRANSACTION_TYPES, TransactionType
from .model import Candidate, Decision, RuleSet, Verdict
from .profile import Profile, minor, observe, seconds
from .scoring import RECENT_LIMIT, RecentEntry, score

#: Patterns of compliance, not fraud: out of recall; an alert on their transactions is not
#: a false one (it is something an analyst must see), so it counts as a true positive.
COMPLIANCE = frozenset((Pattern.LARGE_CASH, Pattern.SANCTIONED_NAME))
FRAUD = tuple(p for p in Pattern if p not in COMPLIANCE)
_SECURITY = frozenset(
    (EventKind.LOGIN_SUCCEEDED, EventKind.PASSWORD_CHANGED, EventKind.EMAIL_CHANGED)
)
_POSTED, _OPENED = EventKind.TRANSACTION_POSTED, EventKind.ACCOUNT_OPENED
PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class Flagged:
    """One alert of a replay: the posting, its customer, and the verdict in brief."""

    transaction_id: str
    user_id: str
    account_id: str
    at: str
    decision: Decision
    score: int
    rules: tuple[str, ...]


@dataclass(slots=True)
class ReplayResult:
    alerts: list[Flagged] = field(default_factory=list)
    events: int = 0
    transactions: int = 0
    #: transactions from a customer's account (the rest come from the bank's, or are the
    #: bank's own closing of an account)
    scored: int = 0


class Replayer:
    """The live path's state, in memory: who owns each account (from account_opened), each
    customer's profile, each account's recent entries (newest first) and balance. step()
    takes the feed one event at a time."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.owners: dict[str, str] = {}
        self.profiles: dict[str, Profile] = {}
        self.recent: dict[str, deque[RecentEntry]] = {}
        self.balances: dict[str, int] = {}

    def profile(self, user_id: str) -> Profile:
        found = self.profiles.get(user_id)
        if found is None:
            found = self.profiles[user_id] = Profile(user_id)
        return found

    def step(self, event: Event) -> Verdict | None:
        """Apply one event; for a posting from a customer's account, first score it as the
        live path would have before it committed, and return the verdict (none for a
        posting that closes an account: the bank made it, and the live path scores only
        what customers ask for)."""
        kind = event.kind
        if kind is _POSTED:
            legs: list[dict[str, str]] = event.payload["legs"]  # type: ignore[assignment]
            # The bank's own posting that closes an account (its balance paid out or moved)
            # never went through the live path's screening: it is applied, not scored.
            verdict = None if "closes" in event.payload else self._score(event, legs)
            self._apply(event, legs)
            return verdict
        if kind is _OPENED:
            user_id = event.payload.get("user_id")
            if isinstance(user_id, str):
                self.owners[event.subject] = user_id
        elif kind in _SECURITY:
            observe(self.profile(event.subject), event, account_id=None)
        return None

    def _score(self, event: Event, legs: list[dict[str, str]]) -> Verdict | None:
        payload = event.payload
        source = legs[0]["account_id"]
        user = self.owners.get(source)
        if user is None:
            return None
        kind = TRANSACTION_TYPES[payload["type"]]  # type: ignore[index]
        to = legs[1]["account_id"] if kind is TransactionType.TRANSFER else None
        candidate = Candidate(
            kind,
            user,
            source,
            minor(payload["amount"]),  # type: ignore[arg-type]
            payload["currency"],  # type: ignore[arg-type]
            event.at,
            to,
            to is not None and self.owners.get(to) == user,
        )
        return score(self.rules, self.profile(user), self.recent.get(source, ()), candidate)

    def _apply(self, event: Event, legs: list[dict[str, str]]) -> None:
        """What the posting leaves behind: each customer side's profile and recent entries."""
        t = seconds(event.at)
        kind = TRANSACTION_TYPES[event.payload["type"]]  # type: ignore[index]
        for i, leg in enumerate(legs):
            account = leg["account_id"]
            user = self.owners.get(account)
            if user is None:
                continue
            observe(self.profile(user), event, account_id=account)
            amount = minor(leg["amount"])
            balance = self.balances.get(account, 0) + amount
            self.balances[account] = balance
            other = legs[1 - i]["account_id"] if len(legs) == 2 else ""
            entries = self.recent.get(account)
            if entries is None:
                entries = self.recent[account] = deque(maxlen=RECENT_LIMIT)
            entries.appendleft(RecentEntry(t, amount, kind, other, balance))


def replay(
    events: Iterable[Event],
    rules: RuleSet,
    *,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Score every transaction_posted in `events` (in feed order) that the live path scored,
    as it would have before it committed (not the bank's closing of an account: Replayer.step),
    then let it update the profiles and recent entries.
    `progress` is called with the number of events done every PROGRESS_EVERY events."""
    result = ReplayResult()
    replayer = Replayer(rules)
    step = replayer.step
    alerts = result.alerts
    approve = Decision.APPROVE
    n = transactions = scored = 0
    for event in events:
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
        if event.kind is _POSTED:
            transactions += 1
        verdict = step(event)
        if verdict is None:
            continue
        scored += 1
        if verdict.decision is not approve:
            alerts.append(
                Flagged(
                    str(event.payload["transaction_id"]),
                    replayer.owners[event.subject],
                    event.subject,
                    event.at,
                    verdict.decision,
                    verdict.score,
                    tuple(h.rule_id for h in verdict.hits),
                )
            )
    result.events, result.transactions, result.scored = n, transactions, scored
    return result


# -- measuring against labels ------------------------------------------------------------------
def evaluate(result: ReplayResult, labels: Iterable[Label]) -> dict[str, object]:
    """Alerts against ground truth.

    An alert is a true positive when its transaction is one of a label's transaction_ids
    (any pattern, compliance ones included), or when it is on a customer with a fraud label
    and falls within that label's window (start to end, inclusive). A label is detected
    when at least one alert is a true positive for it. Recall counts fraud patterns only.
    """
    labels = list(labels)
    by_txn: dict[str, list[int]] = {}
    by_user: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        for txn in label.transaction_ids:
            by_txn.setdefault(txn, []).append(i)
        if label.pattern not in COMPLIANCE:
            by_user.setdefault(label.user_id, []).append(i)
    per_day: Counter[str] = Counter()
    rule_alerts: Counter[str] = Counter()
    rule_true: Counter[str] = Counter()
    rule_found: dict[str, set[int]] = {}
    found: set[int] = set()
    true = 0
    fraud_true = 0
    for a in result.alerts:
        per_day[a.at[:10]] += 1
        matched = set(by_txn.get(a.transaction_id, ()))
        for i in by_user.get(a.user_id, ()):
            if labels[i].start <= a.at <= labels[i].end:
                matched.add(i)
        for rule in a.rules:
            rule_alerts[rule] += 1
        if not matched:
            continue
        true += 1
        fraud_true += any(labels[i].pattern not in COMPLIANCE for i in matched)
        found |= matched
        for rule in a.rules:
            rule_true[rule] += 1
            rule_found.setdefault(rule, set()).update(matched)
    fraud = [i for i, label in enumerate(labels) if label.pattern not in COMPLIANCE]
    total = len(result.alerts)
    per_pattern: dict[str, dict[str, object]] = {}
    for pattern in Pattern:
        mine = [i for i, label in enumerate(labels) if label.pattern is pattern]
        if not mine and pattern in COMPLIANCE:
            continue
        detected = sum(1 for i in mine if i in found)
        per_pattern[pattern.value] = {
            "labels": len(mine),
            "detected": detected,
            "recall": _ratio(detected, len(mine)),
        }
    return {
        "total_alerts": total,
        "alerts_per_day": dict(sorted(per_day.items())),
        "per_rule": {
            rule: {
                "alerts": rule_alerts[rule],
                "precision": _ratio(rule_true[rule], rule_alerts[rule]),
                "recall": _ratio(len(rule_found.get(rule, set()) & set(fraud)), len(fraud)),
            }
            for rule in sorted(rule_alerts)
        },
        "overall": {
            "precision": _ratio(true, total),
            "recall": _ratio(sum(1 for i in fraud if i in found), len(fraud)),
            "precision_fraud_only": _ratio(fraud_true, total),
        },
        "per_pattern": per_pattern,
    }


def _ratio(part: int, whole: int) -> float | None:
    """A share rounded to four places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def overlap(a: ReplayResult, b: ReplayResult) -> dict[str, int]:
    """Alerts (by transaction) that both replays raised, only the first, only the second."""
    ta = {x.transaction_id for x in a.alerts}
    tb = {x.transaction_id for x in b.alerts}
    return {"both": len(ta & tb), "only_a": len(ta - tb), "only_b": len(tb - ta)}
