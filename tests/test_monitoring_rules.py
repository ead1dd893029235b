"""Rule types and rule instances: parameters are validated field by field (amounts as text,
never floats), completed with defaults, and rule sets travel as JSON that round-trips."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flaskbank.domain.errors import ValidationFailed
from flaskbank.domain.monitoring import rules
from flaskbank.domain.monitoring.model import Action, Rule, RuleSet, Thresholds

ISSUE_TYPES = {
    "amount_over",
    "typical_multiple",
    "velocity",
    "new_payee",
    "rapid_in_out",
    "round_amounts",
    "unusual_hour",
    "dormant",
    "after_security_event",
    "structuring",
}


def test_every_type_the_issue_lists_is_there_with_its_defaults_valid():
    assert set(rules.RULE_TYPES) >= ISSUE_TYPES
    for name, kind in rules.RULE_TYPES.items():
        assert set(rules.validate(name, {})) == set(kind.params)


def test_the_default_rule_set_uses_every_type_once():
    ruleset = rules.default_rule_set()
    assert sorted(r.type for r in ruleset.rules) == sorted(ISSUE_TYPES)
    assert len({r.id for r in ruleset.rules}) == len(ruleset.rules)
    assert ruleset.thresholds.review_at < ruleset.thresholds.block_at


def test_validation_completes_and_normalises():
    params = rules.validate("amount_over", {"amount": "9500", "types": ["transfer", "deposit"]})
    assert params == {"amount": "9500.00", "types": ["deposit", "transfer"]}
    assert rules.validate("typical_multiple", {"k": "7.50"})["k"] == "7.5"
    assert rules.validate("typical_multiple", {"k": "10"})["k"] == "10"


@pytest.mark.parametrize(
    ("rule_type", "params", "field"),
    [
        ("amount_over", {"amount": 12.5}, "params.amount"),  # a float: never
        ("amount_over", {"amount": 1250}, "params.amount"),  # a number, not text
        ("amount_over", {"amount": "12.345"}, "params.amount"),
        ("amount_over", {"amount": "-1.00"}, "params.amount"),
        ("amount_over", {"amount": "lots"}, "params.amount"),
        ("amount_over", {"amount": "NaN"}, "params.amount"),
        ("amount_over", {"types": []}, "params.types"),
        ("amount_over", {"types": ["refund"]}, "params.types"),
        ("amount_over", {"colour": "red"}, "params.colour"),
        ("typical_multiple", {"k": 8}, "params.k"),
        ("typical_multiple", {"lookback_days": 0}, "params.lookback_days"),
        ("typical_multiple", {"min_history": "10"}, "params.min_history"),
        ("velocity", {"window_minutes": 60 * 24 * 8}, "params.window_minutes"),  # past recent
        ("velocity", {"count": True}, "params.count"),
        ("unusual_hour", {"percent": 101}, "params.percent"),
        ("structuring", {"floor": "10000.00"}, "params.floor"),
        ("after_security_event", {"events": ["phone_call"]}, "params.events"),
    ],
)
def test_bad_parameters_are_refused_by_name(rule_type, params, field):
    with pytest.raises(ValidationFailed) as refused:
        rules.validate(rule_type, params)
    assert field in refused.value.errors


def test_an_unknown_type_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        rules.validate("astrology", {})
    assert "type" in refused.value.errors


def test_a_rule_set_round_trips_through_json_exactly():
    ruleset = rules.default_rule_set()
    edited = RuleSet(
        (
            *ruleset.rules[:-1],
            replace(ruleset.rules[-1], enabled=False, version=3, updated_by="u1", score=45),
            Rule(
                "big_cash",
                "amount_over",
                {"amount": "5000.00", "types": ["deposit"]},
                10,
                Action.BLOCK,
                updated_at="2024-05-01T10:00:00.000000Z",
            ),
        ),
        Thresholds(40, 90, 7),
    )
    text = rules.dump(edited)
    assert rules.load(text) == edited
    assert rules.dump(rules.load(text)) == text
    assert '"amount":"5000.00"' in text  # amounts stay text


def test_rule_json_names_every_field_an_analyst_edits():
    rule = rules.default_rule_set().rules[0]
    data = rules.rule_json(rule)
    assert {"id", "type", "params", "score", "action", "enabled", "version"} <= set(data)
    assert rules.rule_from_json(data) == rule
