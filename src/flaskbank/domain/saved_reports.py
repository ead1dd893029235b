"""Saved reports: a report's parameters kept under a name, so that any staff member who may
read reports opens the same figures from one link. Pure data and rules; the store keeps
them (store/base.SavedReportPort) and services/analytics/saved.py checks who may do what."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ValidationFailed
from .identity import visible_name

NAME_MAX = 80


@dataclass(frozen=True, slots=True)
class SavedReport:
    """`params` are the report's query as its URL carries it (from, to, period, filters),
    all text; `owner_id` and `owner_email` name who saved it."""

    id: str
    name: str
    report: str
    params: dict[str, str]
    owner_id: str
    owner_email: str
    created_at: str  # ISO 8601 UTC

    @property
    def name_key(self) -> str:
        return name_key(self.name)


def clean_report_name(name: object) -> str:
    """1 to 80 visible characters, whitespace collapsed; ValidationFailed names `name`."""
    try:
        text = visible_name(name) if isinstance(name, str) else ""
    except ValidationFailed:
        raise ValidationFailed({"name": "use visible characters only"}) from None
    if not text:
        raise ValidationFailed({"name": "give the report a name"})
    if len(text) > NAME_MAX:
        raise ValidationFailed({"name": f"at most {NAME_MAX} characters"})
    return text


def name_key(name: str) -> str:
    """The form names are compared in: two names that differ only in case are one name."""
    return name.casefold()
