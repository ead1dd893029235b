"""The checks on what analysts type into a rule, shared by rule edits and backtest drafts."""

from __future__ import annotations

from collections.abc import Mapping

from ...domain.errors import ValidationFailed
from ...domain.monitoring.model import Action

SCORE_MAX = 1000


def mapping_of(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValidationFailed({"params": "give the rule's parameters as an object"})
    return value


def score_of(value: object, field: str = "score") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed({field: f"a whole number from 0 to {SCORE_MAX}"})
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed({field: f"a whole number from 0 to {SCORE_MAX}"}) from None
    if not 0 <= number <= SCORE_MAX:
        raise ValidationFailed({field: f"a whole number from 0 to {SCORE_MAX}"})
    return number


def action_of(value: object) -> Action:
    try:
        return Action(str(value))
    except ValueError:
        raise ValidationFailed({"action": "one of " + ", ".join(a.value for a in Action)}) from None


def flag_of(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed({"enabled": "true or false"})
    return value
