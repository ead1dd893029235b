"""Internal notes that staff keep on a customer: append-only, never shown to the customer."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .errors import ValidationFailed
from .identity import INVISIBLE

NOTE_MAX = 2000


@dataclass(frozen=True, slots=True)
class CustomerNote:
    id: str
    customer_id: str
    at: str
    author_id: str
    author_email: str
    text: str


def clean_note(text: object) -> str:
    """The note's text with its lines kept (staff write paragraphs) and trailing space
    trimmed; refused empty, too long, or holding invisible characters."""
    raw = unicodedata.normalize("NFKC", text) if isinstance(text, str) else ""
    lines = [line.rstrip() for line in raw.strip().splitlines()]
    body = "\n".join(lines)
    if not body:
        raise ValidationFailed({"text": "write the note"})
    if len(body) > NOTE_MAX:
        raise ValidationFailed({"text": f"at most {NOTE_MAX} characters"})
    if any(c != "\n" and unicodedata.category(c) in INVISIBLE for c in body):
        raise ValidationFailed({"text": "use visible characters only"})
    return body
