"""Mail the bank sends: one message to one address, plain text, kept in the store's outbox
until a mailer has taken it (services/mail.py), so that sending never happens on a request
and a mail server that is down delays a message but loses none.

A mail's id decides its Message-ID, so that a message sent twice (the worker killed between
the server's answer and the record that it was sent) carries the same Message-ID both times
and a mail client shows it once. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

#: After the n-th failed attempt the next one waits RETRY_BASE * 2**(n-1), at most RETRY_MAX:
#: a mail server down for an hour is tried a dozen times, not thousands.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
#: After this many failures a mail is given up (kept, with its last error, for staff).
MAX_ATTEMPTS = 30
SUBJECT_MAX = 200
#: The domain of Message-IDs: ours, whatever server relays the mail.
MESSAGE_ID_DOMAIN = "flaskbank.example"


@dataclass(frozen=True, slots=True)
class Mail:
    """A message to `to`, waiting in the outbox (sent_at None) or sent. `kind` says what it
    is (password_reset, email_confirmation, a notice's kind), for logs and tests; `body` is
    emptied once sent when it carried a secret link (services/mail.py)."""

    id: str
    to: str
    subject: str
    body: str
    kind: str
    created_at: str
    next_at: str  # not tried before then
    attempts: int = 0
    sent_at: str | None = None
    last_error: str = ""

    @property
    def message_id(self) -> str:
        return f"<{self.id}@{MESSAGE_ID_DOMAIN}>"

    @property
    def given_up(self) -> bool:
        return self.sent_at is None and self.attempts >= MAX_ATTEMPTS


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure before trying again."""
    return min(RETRY_BASE * (1 << min(max(attempts - 1, 0), 16)), RETRY_MAX)
