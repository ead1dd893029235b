"""Who someone is: the one form in which emails are compared, and the characters refused in
emails and names because they let one person pass for another."""

from __future__ import annotations

import unicodedata

from .errors import ValidationFailed

#: Unicode categories that draw nothing or reorder what is drawn: controls (Cc), format
#: characters such as the bidi override U+202E and zero-width spaces (Cf), private use (Co),
#: surrogates (Cs), unassigned (Cn), and line and paragraph separators (Zl, Zp).
INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
#: Ordinary whitespace, which a name may contain and which collapses to one space.
_SPACES = frozenset(" \t\n\r")


def email_key(email: str) -> str:
    """The form in which emails are compared and keyed everywhere: stores, login throttles,
    the audit log. NFKC first, so that a compatibility look-alike (fullwidth `ａ`) is the
    letter it looks like; then lower(), not casefold(), because the keys the stores already
    hold were made with lower() and a different fold would lose their owners."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def plain_email(email: str) -> str:
    """The email NFKC-normalised, refused if anything in it is still not ASCII: letters from
    other scripts (Cyrillic `а`) look like Latin ones, so such an address could pass for
    another customer's. Internationalised domains are accepted in their xn-- form."""
    text = unicodedata.normalize("NFKC", email).strip()
    if not text.isascii():
        raise ValidationFailed(
            {
                "email": "use an address in plain Latin letters (an "
                "internationalised domain in its xn-- form)"
            }
        )
    return text


def visible_name(name: str) -> str:
    """The name NFKC-normalised with its whitespace collapsed to single spaces; refused if it
    holds a character that is invisible or reorders the text around it, with which a name
    can be made to read as someone else's."""
    text = unicodedata.normalize("NFKC", name)
    if any(c not in _SPACES and unicodedata.category(c) in INVISIBLE for c in text):
        raise ValidationFailed(
            {
                "full_name": "use visible letters only: no control, "
                "formatting or invisible characters"
            }
        )
    return " ".join(text.split())
