"""Rules as data: fraud analysts read the live rule set and change one rule (its
parameters, score, action, whether it is on) or the thresholds. Each change makes a new
version of what it changes, is kept for good (the rule's history) and audited. Two analysts
saving at once cannot both win: the rule set is saved on the version that was read."""

from __future__ import annotations

import json
from dataclasses import replace

from ...domain.accounts import User
from ...domain.errors import RuleNotFound, ValidationFailed
from ...domain.monitoring import rules
from ...domain.monitoring.model import (
    Rule,
    RuleChange,
    RuleSet,
    StoredRuleSet,
    Thresholds,
)
from ...domain.security import AuditAction, Permission
from ...retry import retrying
from ..audit import Actor, record
from ..bank import Bank
from ..permissions import require
from .fields import action_of, flag_of, mapping_of, score_of
from .screening import live_rules

THRESHOLDS = "thresholds"


def rule_set(bank: Bank, analyst: User) -> RuleSet:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    return live_rules(bank.store.monitoring.rule_set())


def history(bank: Bank, analyst: User, rule_id: str) -> list[RuleChange]:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    return bank.store.monitoring.rule_history(rule_id)


def change_rule(
    bank: Bank,
    analyst: User,
    rule_id: str,
    *,
    params: object = None,
    score: object = None,
    action: object = None,
    enabled: object = None,
    actor: Actor,
) -> Rule:
    """Change what is given (None keeps it); returns the rule at its new version."""
    require(analyst, Permission.MONITOR_TRANSACTIONS)

    def attempt(_: int) -> Rule:
        stored = bank.store.monitoring.rule_set()
        current = live_rules(stored)
        rule = current.rule(rule_id)
        if rule is None:
            raise RuleNotFound("no such rule")
        new = replace(
            rule,
            params=rule.params if params is None else rules.validate(rule.type, mapping_of(params)),
            score=rule.score if score is None else score_of(score),
            action=rule.action if action is None else action_of(action),
            enabled=rule.enabled if enabled is None else flag_of(enabled),
            version=rule.version + 1,
            updated_at=bank.now(),
            updated_by=analyst.email,
        )
        changed = RuleSet(
            tuple(new if r.id == rule_id else r for r in current.rules), current.thresholds
        )
        _save(bank, stored, changed, new.id, new.version, rules.rule_json(new), analyst)
        record(bank, actor, AuditAction.RULE_CHANGED, rule_id, version=str(new.version))
        return new

    return retrying(attempt)


def change_thresholds(
    bank: Bank, analyst: User, *, review_at: object, block_at: object, actor: Actor
) -> Thresholds:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    review, block = score_of(review_at, "review_at"), score_of(block_at, "block_at")
    if not 0 < review <= block:
        raise ValidationFailed({"block_at": "must be at least review_at, and both above 0"})

    def attempt(_: int) -> Thresholds:
        stored = bank.store.monitoring.rule_set()
        current = live_rules(stored)
        new = Thresholds(review, block, current.thresholds.version + 1)
        data = {"review_at": review, "block_at": block, "version": new.version}
        _save(bank, stored, RuleSet(current.rules, new), THRESHOLDS, new.version, data, analyst)
        record(
            bank,
            actor,
            AuditAction.RULE_CHANGED,
            THRESHOLDS,
            review_at=str(review),
            block_at=str(block),
            version=str(new.version),
        )
        return new

    return retrying(attempt)


def _save(
    bank: Bank,
    stored: StoredRuleSet | None,
    ruleset: RuleSet,
    rule_id: str,
    version: int,
    data: object,
    analyst: User,
) -> None:
    change = RuleChange(rule_id, version, bank.now(), analyst.email, json.dumps(data))
    read_at = 0 if stored is None else stored.version
    # Saved on the version read: StaleRecord sends `retrying` round to read it again.
    bank.store.monitoring.save_rule_set(StoredRuleSet(rules.dump(ruleset), read_at), [change])
