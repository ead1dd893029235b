"""Mail from the services' side: queue a message in the store's outbox (inside the use
case's unit of work, so it goes if and only if the change it tells of commits), and the
worker's send job, which hands due mail to the mailer and retries what fails with backoff.

Exactly once, as far as SMTP allows: a mail is marked sent after the server accepted it; a
worker killed between the two sends it again on its next run, under the same Message-ID
(domain/mail.py), which mail clients show once. A failure is counted on the mail
(conditional on the count read, so two workers cannot both count it) and the mail waits
domain.mail.retry_delay before its next try.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from ..domain.errors import StaleRecord
from ..domain.ledger import new_id, utc_iso
from ..domain.mail import SUBJECT_MAX, Mail, retry_delay
from ..mail.base import Mailer, MailError
from .bank import Bank

log = logging.getLogger("flaskbank.mail")

#: Kinds of mail that carry a secret link: their body is emptied once sent, so that the
#: outbox does not keep a working link any longer than it must.
SECRET_KINDS = frozenset({"password_reset", "email_confirmation"})
BATCH = 50
ERROR_MAX = 500


def queue(bank: Bank, *, to: str, subject: str, body: str, kind: str, mail_id: str = "") -> Mail:
    """Put a mail in the outbox, due now; inside bank.in_unit it commits with the change."""
    now = bank.now()
    mail = Mail(mail_id or new_id(), to, subject[:SUBJECT_MAX], body, kind, now, now)
    bank.store.mail.queue_mail(mail)
    return mail


def send_due(bank: Bank, mailer: Mailer, *, limit: int = BATCH) -> int:
    """Send up to `limit` due mails; returns how many were sent. When the server cannot be
    reached the batch stops at the first failure (the rest wait for the next run rather
    than each waiting out a timeout)."""
    sent = 0
    for mail in bank.store.mail.due_mail(bank.now(), limit=limit):
        try:
            mailer.send(mail)
        except MailError as e:
            _failed(bank, mail, str(e))
            break
        body = "" if mail.kind in SECRET_KINDS else mail.body
        bank.store.mail.mail_sent(mail, bank.now(), body=body)
        sent += 1
    return sent


def _failed(bank: Bank, mail: Mail, error: str) -> None:
    wait: timedelta = retry_delay(mail.attempts + 1)
    log.warning(
        "mail %s (%s) not sent, attempt %d: %s", mail.id, mail.kind, mail.attempts + 1, error
    )
    # StaleRecord: another worker tried it meanwhile and counted its own attempt.
    with contextlib.suppress(StaleRecord):
        bank.store.mail.mail_failed(mail, error[:ERROR_MAX], utc_iso(bank.clock() + wait))
