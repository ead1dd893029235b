"""Labels: what the synthetic bank knows it planted. Each names a pattern (structuring,
account takeover, ...), the customer it is about, the transactions that make it up and the
time window they fall in, so that monitoring's rules and reports can be measured against
ground truth (precision and recall) instead of against themselves."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Pattern(StrEnum):
    STRUCTURING = "structuring"
    RAPID_MOVEMENT = "rapid_movement"
    ACCOUNT_TAKEOVER = "account_takeover"
    DORMANT_REACTIVATION = "dormant_reactivation"
    ROUND_AMOUNTS = "round_amounts"
    OUTLIER = "outlier"
    LARGE_CASH = "large_cash"
    SANCTIONED_NAME = "sanctioned_name"


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    pattern: Pattern
    user_id: str
    transaction_ids: tuple[str, ...]
    start: str  # ISO 8601 UTC, inclusive
    end: str  # ISO 8601 UTC, inclusive
    note: str = ""  # e.g. the look-alike name and the listed name it resembles
