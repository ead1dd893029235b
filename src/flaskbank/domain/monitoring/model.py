"""What monitoring decides and keeps, in the bank's words: rules as data, the verdict on one
posting with its explanation, the alert an analyst works, and the customer's profile.

The rule *types* are code (rules.py); a rule *instance* is data that fraud analysts edit:
its parameters, score, action, whether it is on, and a version that every change bumps.
Every verdict names the rule versions it used, so that a decision can be explained later
with the rules as they were.

Amounts here are integer minor units (cents): scoring runs on every posting and in replays of
millions, and the money never leaves this module as anything but text ("12.34").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..events import JsonValue
from ..ledger import TransactionType


class Decision(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"  # a transfer waits on a pending-transfer hold; cash posts, with an alert
    BLOCK = "block"  # refused; the attempt is recorded


#: Stronger decisions win when rules and thresholds disagree.
DECISION_ORDER = (Decision.APPROVE, Decision.REVIEW, Decision.BLOCK)


class Action(StrEnum):
    """What a rule does when it fires, besides adding its score: nothing more, or force at
    least review, or block."""

    SCORE = "score"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule instance. `type` names a rule type in rules.RULE_TYPES; `params` are that
    type's parameters (amounts as text)."""

    id: str
    type: str
    params: Mapping[str, JsonValue]
    score: int
    action: Action = Action.SCORE
    enabled: bool = True
    version: int = 1
    updated_at: str = ""
    updated_by: str = ""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A posting whose rules' scores add up to review_at or more waits for review; to
    block_at or more is blocked."""

    review_at: int
    block_at: int
    version: int = 1


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    thresholds: Thresholds

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class Candidate:
    """The posting being scored, before it commits. `amount` is positive, in minor units;
    `counterparty_account_id` is the other customer account of a transfer (None for cash);
    `to_own_account` says that it is this customer's own (a sweep to savings): money that
    stays with the customer is never paid to a new payee, nor out of rapid in-out."""

    type: TransactionType
    user_id: str
    account_id: str
    amount: int
    currency: str
    at: str  # ISO 8601 UTC
    counterparty_account_id: str | None = None
    to_own_account: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule that fired, with the numbers that made it fire, in words an analyst reads
    ("amount 9,800.00 is 14.2x this customer's typical transfer 690.00 ...")."""

    rule_id: str
    rule_type: str
    version: int
    score: int
    action: Action
    explanation: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one posting and why. `rule_versions` are the versions of every
    enabled rule it was judged by (fired or not) and of the thresholds."""

    decision: Decision
    score: int
    hits: tuple[Hit, ...] = ()
    rule_versions: tuple[tuple[str, int], ...] = ()
    failed: bool = False  # the scorer failed: review, never approve

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "decision": self.decision.value,
            "score": self.score,
            "hits": [
                {
                    "rule": h.rule_id,
                    "type": h.rule_type,
                    "version": h.version,
                    "score": h.score,
                    "action": h.action.value,
                    "explanation": h.explanation,
                }
                for h in self.hits
            ],
            "rule_versions": [[rule_id, version] for rule_id, version in self.rule_versions],
            "failed": self.failed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> Verdict:
        hits = data.get("hits")
        versions = data.get("rule_versions")
        hits = hits if isinstance(hits, list) else []
        versions = versions if isinstance(versions, list) else []
        return cls(
            Decision(str(data["decision"])),
            int(str(data["score"])),
            tuple(
                Hit(
                    str(h["rule"]),
                    str(h["type"]),
                    int(str(h["version"])),
                    int(str(h["score"])),
                    Action(str(h["action"])),
                    str(h["explanation"]),
                )
                for h in hits
                if isinstance(h, dict)
            ),
            tuple((str(v[0]), int(str(v[1]))) for v in versions if isinstance(v, list)),
            bool(data.get("failed", False)),
        )


class AlertStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    FALSE_POSITIVE = "closed_false_positive"
    CONFIRMED_FRAUD = "closed_confirmed_fraud"

    @property
    def is_closed(self) -> bool:
        return self in (AlertStatus.FALSE_POSITIVE, AlertStatus.CONFIRMED_FRAUD)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class AlertNote:
    at: str
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class Alert:
    """What an analyst works: one verdict of review or block (or a rule that fired on a
    posting that went through), on one customer. Exactly one of transaction_id and hold_id
    is set for a posting that went through or waits; a blocked attempt has neither. Saved
    conditionally on `version`, so that two analysts acting at once cannot both close it."""

    id: str
    created_at: str
    severity: Severity
    score: int
    status: AlertStatus
    customer_id: str
    account_id: str
    decision: Decision
    verdict: Verdict
    amount: str  # text, "12.34"
    currency: str
    transaction_id: str | None = None
    hold_id: str | None = None
    assignee: str | None = None
    notes: tuple[AlertNote, ...] = ()
    closed_at: str | None = None
    closed_by: str | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """A customer's monitoring profile as a store keeps it: opaque JSON text (profile.py
    reads and writes it) and the version it was read at, for a conditional save."""

    user_id: str
    data: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class StoredRuleSet:
    """The live rule set as a store keeps it: one record, so that a posting reads it with
    the accounts in the same round trip. `data` is rules.dump(ruleset)'s JSON text."""

    data: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One version of one rule (or of the thresholds, rule_id "thresholds"), kept for good:
    who changed what, and when."""

    rule_id: str
    version: int
    at: str
    by: str
    data: str  # the rule (or thresholds) as JSON text


@dataclass(frozen=True, slots=True)
class Backtest:
    """A draft rule set run over a period of history, touching nothing. `result` is the
    JSON text of the figures when done (backtest.py)."""

    id: str
    created_at: str
    created_by: str
    since: str
    until: str
    rules: str  # the draft rule set as JSON text
    status: str = "queued"  # queued, running, done, failed
    progress: int = 0  # events scored so far
    total: int = 0  # events to score, when known
    result: str = ""
    error: str = ""
    version: int = 1
    extra: Mapping[str, JsonValue] = field(default_factory=dict)
