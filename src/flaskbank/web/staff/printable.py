"""Text a PDF can print. fpdf2's core fonts know Latin-1 only, and customer data may hold any
character: a document embeds DejaVu Sans when the system has it (Debian's fonts-dejavu-core)
and replaces what its font cannot draw, so that a name never stops an export."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Protocol

#: Close Latin-1 stand-ins for common typography, before anything becomes "?".
_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})
_FACES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # each face costs ~80 ms to load
UNICODE_FAMILY, CORE_FAMILY = "DejaVu Sans", "Helvetica"


class _Fonts(Protocol):
    def add_font(self, family: str, style: str, fname: Path) -> None: ...


class Printable:
    """Called on a text, returns it with each character the font lacks replaced."""

    def __init__(self, family: str, known: frozenset[int] | None) -> None:
        self.family = family
        self.known = known  # the code points the font draws; None: Latin-1 only

    @classmethod
    def for_document(cls, pdf: _Fonts, fonts: Path) -> Printable:
        """Embed DejaVu Sans in `pdf` if `fonts` holds it, else fall back to Helvetica."""
        try:
            for style, name in _FACES.items():
                pdf.add_font(UNICODE_FAMILY, style, fonts / name)
        except (OSError, RuntimeError, ValueError):
            return cls(CORE_FAMILY, None)
        return cls(UNICODE_FAMILY, _code_points(pdf))

    def __call__(self, text: str) -> str:
        if self.known is None:
            return "".join(_latin1(ch) for ch in text.translate(_PLAIN))
        return "".join(ch if ord(ch) in self.known or ch in "\n" else "?" for ch in text)


def _latin1(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
    return plain or "?"


def _code_points(pdf: object) -> frozenset[int]:
    fonts = getattr(pdf, "fonts", {})
    font = fonts.get(UNICODE_FAMILY.lower())
    return frozenset(getattr(font, "cmap", {}) or range(256))
