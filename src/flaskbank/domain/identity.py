"""Who someone is: the one form in which emails are compared and keyed."""

from __future__ import annotations

import unicodedata


def email_key(email: str) -> str:
    """The form in which emails are compared and keyed everywhere: stores, login throttles,
    the audit log. NFKC first, so that a compatibility look-alike (fullwidth `ａ`) is the
    letter it looks like; then lower(), not casefold(), because the keys the stores already
    hold were made with lower() and a different fold would lose their owners."""
    return unicodedata.normalize("NFKC", email).strip().lower()
