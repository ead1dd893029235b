"""Searching an account's history: what a customer looks for, and the one rule for whether a
line matches it. Both stores apply this rule (SQLite as a SQL function, DynamoDB on the
items a Query returns), so a search finds the same lines on either."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Longest search text we take: longer than any name or memo worth searching for.
SEARCH_TEXT_MAX = 100


def fold(text: str) -> str:
    """Text as a search compares it: case and compatibility forms folded ("ÄRGER" finds
    "ärger", a fullwidth "Ｂｏｂ" finds "Bob")."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True, slots=True)
class HistorySearch:
    """A line matches when its counterparty (as the history shows it: "Cash deposit", "Bob
    Builder · 1234 5678") or its memo contains `text`, and the size of its amount (minor
    units, whichever way the money went) is within [min_minor, max_minor]."""

    text: str = ""  # folded by fold(); "" matches every line
    min_minor: int | None = None
    max_minor: int | None = None

    def __bool__(self) -> bool:
        return bool(self.text) or self.min_minor is not None or self.max_minor is not None

    def matches(self, counterparty: str, memo: str, amount_minor: int) -> bool:
        size = abs(amount_minor)
        if self.min_minor is not None and size < self.min_minor:
            return False
        if self.max_minor is not None and size > self.max_minor:
            return False
        return not self.text or self.text in fold(counterparty) or self.text in fold(memo)
