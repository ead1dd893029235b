"""Scoring one posting before it commits: every enabled rule looks at the candidate, the
customer's profile and the source account's recent entries; the scores of the rules that
fire add up, and the decision is the stronger of what the thresholds say and what any fired
rule's action demands. Pure: no store, no clock, no randomness.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ledger import Entry
from . import checks
from .checks import RecentEntry, Situation
from .model import DECISION_ORDER, Action, Candidate, Decision, Hit, Rule, RuleSet, Verdict
from .profile import Profile, seconds
from .rules import RECENT_WINDOW_HOURS, RULE_TYPES, compile_params

__all__ = [
    "RECENT_LIMIT",
    "RECENT_WINDOW_HOURS",
    "RecentEntry",
    "recent_from_entries",
    "score",
]

#: How many of the source account's newest entries the live path reads for a posting.
RECENT_LIMIT = 50

_ACTION_DECISION = {
    Action.SCORE: Decision.APPROVE,
    Action.REVIEW: Decision.REVIEW,
    Action.BLOCK: Decision.BLOCK,
}
_RANK = {d: i for i, d in enumerate(DECISION_ORDER)}


def recent_from_entries(entries: Sequence[Entry]) -> list[RecentEntry]:
    """The store's history of the source account (newest first) as the rules read it."""
    return [
        RecentEntry(
            seconds(e.created_at),
            e.amount.minor,
            e.type,
            e.counterparty,
            None if e.balance_after is None else e.balance_after.minor,
        )
        for e in entries
    ]


class _Compiled:
    """A rule set's enabled rules with their parameters compiled, kept for the rule set
    object it was made from (rule sets are immutable; replays score millions against one)."""

    __slots__ = ("ruleset", "rules", "versions", "clean")

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules: list[tuple[Rule, checks.Check, dict[str, Any]]] = [
            (r, RULE_TYPES[r.type].check, compile_params(r))
            for r in ruleset.rules
            if r.enabled and r.type in RULE_TYPES
        ]
        self.versions = tuple((r.id, r.version) for r in ruleset.rules if r.enabled) + (
            ("thresholds", ruleset.thresholds.version),
        )
        #: The verdict on most postings, made once (verdicts are immutable).
        self.clean = Verdict(Decision.APPROVE, 0, (), self.versions)


#: Compiled rule sets by identity (the live rule set, a backtest's draft); few at a time.
_compiled: dict[int, _Compiled] = {}


def _compile(ruleset: RuleSet) -> _Compiled:
    found = _compiled.get(id(ruleset))
    if found is None or found.ruleset is not ruleset:
        if len(_compiled) >= 16:
            _compiled.clear()
        found = _compiled[id(ruleset)] = _Compiled(ruleset)
    return found


def score(
    rules: RuleSet, profile: Profile, recent: Sequence[RecentEntry], candidate: Candidate
) -> Verdict:
    compiled = _compile(rules)
    s = Situation(candidate, profile, recent, seconds(candidate.at))
    hits: list[Hit] = []
    total = 0
    forced = Decision.APPROVE
    for rule, check, params in compiled.rules:
        why = check(params, s)
        if why is None:
            continue
        total += rule.score
        hits.append(Hit(rule.id, rule.type, rule.version, rule.score, rule.action, why))
        wanted = _ACTION_DECISION[rule.action]
        if _RANK[wanted] > _RANK[forced]:
            forced = wanted
    if not hits:
        return compiled.clean
    t = rules.thresholds
    by_score = (
        Decision.BLOCK
        if total >= t.block_at
        else Decision.REVIEW
        if total >= t.review_at
        else Decision.APPROVE
    )
    decision = by_score if _RANK[by_score] >= _RANK[forced] else forced
    return Verdict(decision, total, tuple(hits), compiled.versions)
