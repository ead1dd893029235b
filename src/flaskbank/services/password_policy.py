"""The password policy: a password is judged by how many guesses it would take (zxcvbn's
estimate), not by its length or a list alone."""

from __future__ import annotations

import threading

from zxcvbn import zxcvbn

from ..domain.errors import ValidationFailed

PASSWORD_MIN = 10
PASSWORD_MAX = 200
#: zxcvbn's score 3 means at least 10^8 estimated guesses ("safely unguessable" in its
#: documentation). The login lock stops online guessing long before that, and against an
#: offline attack on the scrypt hashes it buys years; score 4 (10^10) would also refuse many
#: three- or four-word passphrases that people can remember.
STRONG_ENOUGH = 3
#: zxcvbn's work grows with length (about 0.03 s at 72 characters, 0.3 s at 200) and it
#: refuses longer input by default, so it judges the first 72 characters. A guesser has to
#: get those right before the rest, so a strong prefix is a strong password.
JUDGED_CHARS = 72

# zxcvbn keeps the user inputs of a call in a module-level dictionary: two threads judging
# at once could each be judged against the other's name and email.
_zxcvbn_lock = threading.Lock()


def check_password(
    password: object, field: str = "password", *, personal: tuple[str, ...] = ()
) -> str:
    """Long enough, not absurdly long, and hard to guess, also for someone who knows the
    person's `personal` details (email, its local part, name)."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise ValidationFailed({field: f"use at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed({field: f"use at most {PASSWORD_MAX} characters"})
    # A name's words alone and run together, too: "lovelace2024" and "adalovelace1" are as
    # personal as "Ada Lovelace".
    inputs = list(
        dict.fromkeys(w for p in personal if p for w in (p, *p.split(), "".join(p.split())))
    )
    with _zxcvbn_lock:
        verdict = zxcvbn(password[:JUDGED_CHARS], user_inputs=inputs)
    if verdict["score"] < STRONG_ENOUGH:
        raise ValidationFailed({field: _why(verdict)})
    return password


def _why(verdict: dict[str, object]) -> str:
    """zxcvbn's reason and advice, or ours when the weak part is the person's own details."""
    sequence = verdict.get("sequence")
    if isinstance(sequence, list) and any(
        m.get("dictionary_name") == "user_inputs" for m in sequence
    ):
        return "too easy to guess: do not use your email or name in your password"
    feedback = verdict.get("feedback")
    said = (
        [feedback.get("warning"), *feedback.get("suggestions", [])]
        if isinstance(feedback, dict)
        else []
    )
    advice = " ".join(s.rstrip(".") + "." for s in said if isinstance(s, str) and s)
    return f"too easy to guess. {advice or 'Add another word or two.'}"
