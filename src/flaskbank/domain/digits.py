"""Digits as people type them into our forms.

Python's `str.isdigit()`, `int()`, `re`'s `\\d` and (for some formats) `date.fromisoformat`
accept every Unicode digit: fullwidth ２, Arabic-Indic ٢, superscript ². Account numbers,
one-time codes, months and page sizes are ASCII 0-9 only; anything else is refused as
malformed rather than half-read (superscripts pass `isdigit()` and then break `int()`).
"""

from __future__ import annotations

from typing import TypeGuard

ASCII_DIGITS = "0123456789"


def ascii_digits(text: object) -> TypeGuard[str]:
    """Whether `text` is a non-empty string of ASCII 0-9 and nothing else."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number(text: object, *, most_digits: int = 9) -> int | None:
    """`text` (ASCII digits, at most `most_digits` of them) as an int, else None. An int
    passes through; a bool is not a number here."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if ascii_digits(text) and len(text) <= most_digits:
        return int(text)
    return None
