"""Rule instances (data): validating and completing their parameters, compiling them for
the checks, the default rule set, and rule sets as JSON. The rule types (code) are in
rule_types.py. Parameters travel as JSON: amounts as text ("12.34"), never floats; ratios
as text ("7.5"); windows as whole minutes, hours or days; lists of names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ..errors import ValidationFailed
from ..events import JsonValue
from .model import Action, Rule, RuleSet, Thresholds
from .rule_types import RECENT_WINDOW_HOURS, RULE_TYPES, Param, RuleType

__all__ = [
    "RECENT_WINDOW_HOURS",
    "RULE_TYPES",
    "RuleType",
    "compile_params",
    "default_rule_set",
    "dump",
    "load",
    "rule_json",
    "validate",
]

_UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86_400}


# -- validation -------------------------------------------------------------------------------
def validate(rule_type: str, params: Mapping[str, object]) -> dict[str, JsonValue]:
    """The parameters, checked and completed with the type's defaults, in canonical form
    (amounts "12.34"). Raises ValidationFailed({"params.<name>": message}) on bad input."""
    kind = RULE_TYPES.get(rule_type)
    if kind is None:
        raise ValidationFailed({"type": f"unknown rule type {rule_type!r}"})
    if not isinstance(params, Mapping):
        raise ValidationFailed({"params": "must be an object"})
    errors: dict[str, str] = {}
    clean: dict[str, JsonValue] = {}
    for name in params:
        if name not in kind.params:
            errors[f"params.{name}"] = f"unknown parameter of {rule_type}"
    for name, spec in kind.params.items():
        value = params.get(name, spec.default)
        try:
            clean[name] = _clean(spec, value)
        except ValueError as e:
            errors[f"params.{name}"] = str(e)
    if (
        not errors
        and "floor" in clean
        and _minor(str(clean["floor"])) >= _minor(str(clean["limit"]))
    ):
        errors["params.floor"] = "must be under the limit"
    if errors:
        raise ValidationFailed(errors)
    return clean


def _clean(spec: Param, value: object) -> JsonValue:
    if spec.kind in ("amount", "ratio"):
        if not isinstance(value, str):
            raise ValueError('must be text, such as "12.34"')
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError('must be a number written as text, such as "12.34"') from None
        if not number.is_finite() or number < 0:
            raise ValueError("must be zero or more")
        if spec.kind == "amount":
            if number != number.quantize(Decimal("0.01")):
                raise ValueError("has more than two decimals")
            if number > Decimal(10**12):
                raise ValueError("is too large")
            return str(number.quantize(Decimal("0.01")))
        if number > 1000 or number != number.quantize(Decimal("0.0001")):
            raise ValueError("must be at most 1000, with at most four decimals")
        return str(number.normalize()) if number != number.to_integral() else str(int(number))
    if spec.kind == "choices":
        if not isinstance(value, list) or not value:
            raise ValueError(f"must be a non-empty list drawn from {', '.join(spec.choices)}")
        unknown = [v for v in value if v not in spec.choices]
        if unknown:
            raise ValueError(f"unknown: {', '.join(map(str, unknown))}")
        return [c for c in spec.choices if c in value]
    if type(value) is not int:
        raise ValueError("must be a whole number")
    high = 100 if spec.kind == "percent" else spec.high
    if not spec.low <= value <= high:
        raise ValueError(f"must be from {spec.low} to {high}")
    return value


def _minor(text: str) -> int:
    return int(Decimal(text).scaleb(2))


def compile_params(rule: Rule) -> dict[str, Any]:
    """The parameters as the checks use them: amounts in minor units, windows in seconds,
    ratios as fractions, choices as sets. The rule's params are assumed valid (validate)."""
    kind = RULE_TYPES[rule.type]
    out: dict[str, Any] = {}
    for name, spec in kind.params.items():
        value = rule.params.get(name, spec.default)
        if spec.kind == "amount":
            out[spec.key] = _minor(str(value))
        elif spec.kind == "ratio":
            out[spec.key] = Fraction(str(value))
        elif spec.kind == "choices":
            out[spec.key] = frozenset(value) if isinstance(value, list) else frozenset()
        elif spec.kind in _UNIT_SECONDS:
            out[spec.key] = int(str(value)) * _UNIT_SECONDS[spec.kind]
        else:
            out[spec.key] = int(str(value))
    return out


# -- the defaults ---------------------------------------------------------------------------
#: (id, type, params overriding the type's defaults, score, action)
_DEFAULTS: tuple[tuple[str, str, dict[str, JsonValue], int, Action], ...] = (
    ("large_amount", "amount_over", {}, 20, Action.SCORE),
    ("outlier", "typical_multiple", {}, 60, Action.SCORE),
    ("velocity", "velocity", {}, 20, Action.SCORE),
    ("new_payee_large", "new_payee", {}, 25, Action.SCORE),
    ("rapid_in_out", "rapid_in_out", {}, 30, Action.SCORE),
    ("round_amounts", "round_amounts", {}, 60, Action.SCORE),
    ("unusual_hour", "unusual_hour", {}, 10, Action.SCORE),
    ("dormant", "dormant", {}, 60, Action.SCORE),
    ("after_security_event", "after_security_event", {}, 30, Action.SCORE),
    ("structuring", "structuring", {}, 60, Action.SCORE),
)
DEFAULT_THRESHOLDS = Thresholds(review_at=50, block_at=100)


def default_rule_set() -> RuleSet:
    return RuleSet(
        tuple(
            Rule(rule_id, kind, validate(kind, params), score, action)
            for rule_id, kind, params, score, action in _DEFAULTS
        ),
        DEFAULT_THRESHOLDS,
    )


# -- as JSON ----------------------------------------------------------------------------------
def rule_json(rule: Rule) -> dict[str, JsonValue]:
    return {
        "id": rule.id,
        "type": rule.type,
        "params": dict(rule.params),
        "score": rule.score,
        "action": rule.action.value,
        "enabled": rule.enabled,
        "version": rule.version,
        "updated_at": rule.updated_at,
        "updated_by": rule.updated_by,
    }


def rule_from_json(data: Mapping[str, Any]) -> Rule:
    return Rule(
        str(data["id"]),
        str(data["type"]),
        dict(data["params"]),
        int(data["score"]),
        Action(str(data["action"])),
        bool(data["enabled"]),
        int(data["version"]),
        str(data.get("updated_at", "")),
        str(data.get("updated_by", "")),
    )


def thresholds_json(t: Thresholds) -> dict[str, JsonValue]:
    return {"review_at": t.review_at, "block_at": t.block_at, "version": t.version}


def dump(ruleset: RuleSet) -> str:
    return json.dumps(
        {
            "thresholds": thresholds_json(ruleset.thresholds),
            "rules": [rule_json(r) for r in ruleset.rules],
        },
        separators=(",", ":"),
        sort_keys=True,
    )


#: Rule sets loaded, by their text: the live path loads the same text for every posting,
#: and the same object back lets scoring reuse its compiled parameters (80 us a posting).
_LOADED: dict[str, RuleSet] = {}


def load(text: str) -> RuleSet:
    found = _LOADED.get(text)
    if found is None:
        found = _parse(text)
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[text] = found
    return found


def _parse(text: str) -> RuleSet:
    data = json.loads(text)
    t = data["thresholds"]
    return RuleSet(
        tuple(rule_from_json(r) for r in data["rules"]),
        Thresholds(int(t["review_at"]), int(t["block_at"]), int(t.get("version", 1))),
    )
