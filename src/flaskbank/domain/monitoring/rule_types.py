"""The rule types: each a name, a title, its parameters (kind, default, bounds) and the check
that looks at a posting (checks.py). Rule types are code; rule instances (model.Rule) are
data that name a type here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..events import JsonValue
from . import checks

#: The longest window a rule on the source account's recent entries may look back over:
#: the live path reads the entries of this many hours (at most scoring.RECENT_LIMIT).
RECENT_WINDOW_HOURS = 7 * 24
TRANSACTION_TYPES = ("deposit", "withdrawal", "transfer")
DESTINATIONS = ("new_payee", "known_payee", "cash")
SECURITY_EVENTS = ("new_device", "new_ip", "password", "email")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: `kind` is amount, ratio, count, percent, minutes, hours, days, or
    choices (a list drawn from `choices`); `key` is its name in the compiled form."""

    kind: str
    default: JsonValue
    help: str
    key: str
    low: int = 0
    high: int = 10**9
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleType:
    name: str
    title: str
    check: checks.Check
    params: Mapping[str, Param] = field(default_factory=dict)


def _window(unit: str, default: int, high: int, key: str = "window") -> Param:
    return Param(unit, default, f"how far back to look, in {unit}", key, 1, high)


_RECENT_HOURS = RECENT_WINDOW_HOURS
RULE_TYPES: Mapping[str, RuleType] = {
    t.name: t
    for t in (
        RuleType(
            "amount_over",
            "Amount over a threshold",
            checks.amount_over,
            {
                "amount": Param("amount", "10000.00", "fires at this amount or more", "amount"),
                "types": Param(
                    "choices",
                    list(TRANSACTION_TYPES),
                    "transaction types it applies to",
                    "types",
                    choices=TRANSACTION_TYPES,
                ),
            },
        ),
        RuleType(
            "typical_multiple",
            "Amount over k times the customer's typical debit (geometric mean, by whole months)",
            checks.typical_multiple,
            {
                "k": Param("ratio", "10", "how many times the typical debit", "k"),
                "deviations": Param(
                    "ratio",
                    "3.75",
                    "how many standard deviations of the customer's own (log) amounts above",
                    "deviations",
                ),
                "lookback_days": _window("days", 365, 400, "lookback"),
                "min_history": Param(
                    "count", 10, "debits in the lookback before the rule judges", "min_history", 1
                ),
                "over_largest": Param(
                    "ratio", "1.25", "how many times the largest such debit before", "over_largest"
                ),
                "min_amount": Param("amount", "200.00", "smaller debits never fire", "min_amount"),
            },
        ),
        RuleType(
            "velocity",
            "Velocity: count or sum of debits in a sliding window",
            checks.velocity,
            {
                "window_minutes": _window("minutes", 60, _RECENT_HOURS * 60),
                "count": Param("count", 20, "debits in the window (0: off)", "count"),
                "sum": Param("amount", "0", "total of debits in the window (0: off)", "sum"),
            },
        ),
        RuleType(
            "new_payee",
            "New payee with a large amount",
            checks.new_payee,
            {
                "amount": Param("amount", "2000.00", "fires at this amount or more", "amount"),
                "balance_share": Param(
                    "ratio", "0.5", "or at this share of the balance (0: off)", "balance_share"
                ),
                "min_amount": Param(
                    "amount", "1.00", "the least amount the share applies to", "min_amount"
                ),
            },
        ),
        RuleType(
            "rapid_in_out",
            "Rapid in-out: money leaves soon after arriving from several senders",
            checks.rapid_in_out,
            {
                "window_hours": _window("hours", 12, _RECENT_HOURS),
                "senders": Param("count", 3, "transfers in from new senders", "senders", 1),
                "share": Param("ratio", "0.8", "share of the money in that leaves", "share"),
                "to": Param(
                    "choices", ["new_payee"], "where the money goes", "to", choices=DESTINATIONS
                ),
                "min_amount": Param("amount", "100.00", "smaller debits never fire", "min_amount"),
            },
        ),
        RuleType(
            "round_amounts",
            "Round amounts: several debits of whole multiples within a window",
            checks.round_amounts,
            {
                "unit": Param("amount", "100.00", "whole multiples of this", "unit"),
                "min_amount": Param("amount", "500.00", "each at least this", "min_amount"),
                "count": Param("count", 3, "debits in the window, this one included", "count", 2),
                "window_hours": _window("hours", 72, _RECENT_HOURS),
            },
        ),
        RuleType(
            "unusual_hour",
            "Unusual hour for this customer",
            checks.unusual_hour,
            {
                "percent": Param(
                    "percent",
                    2,
                    "share of postings within an hour of this one",
                    "percent",
                    high=100,
                ),
                "min_history": Param(
                    "count", 30, "postings seen before the rule judges", "min_history", 1
                ),
                "min_amount": Param("amount", "200.00", "smaller amounts never fire", "min_amount"),
            },
        ),
        RuleType(
            "dormant",
            "Dormant reactivation: money out after a long silence",
            checks.dormant,
            {"days": Param("days", 180, "days without any posting", "days", 1)},
        ),
        RuleType(
            "after_security_event",
            "A debit soon after a security event (new device or IP, password or email change)",
            checks.after_security,
            {
                "window_hours": _window("hours", 24, 24 * 30),
                "events": Param(
                    "choices",
                    ["new_device", "password", "email"],
                    "the events that count",
                    "events",
                    choices=SECURITY_EVENTS,
                ),
                "min_amount": Param("amount", "1.00", "smaller debits never fire", "min_amount"),
            },
        ),
        RuleType(
            "structuring",
            "Structuring: cash deposits just under the reporting limit adding past it",
            checks.structuring,
            {
                "limit": Param("amount", "10000.00", "the reporting limit", "limit"),
                "floor": Param("amount", "9000.00", "deposits from this up count", "floor"),
                "window_days": _window("days", 7, RECENT_WINDOW_HOURS // 24),
            },
        ),
    )
}
