"""The bank's error vocabulary. Each docstring says what the person did.

The web layer maps these to HTTP statuses and form messages in one place (web/errors.py);
nothing here knows about HTTP.
"""

from __future__ import annotations


class BankError(Exception):
    """Base of every refusal the bank gives on purpose."""

    #: The input field the error is about, when there is one (for form and 422 messages).
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class ValidationFailed(BankError):
    """The person sent input that breaks a rule (format, length, range)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidAmount(BankError):
    """The person gave an amount that is not a valid positive sum of money."""

    field = "amount"


class Refusal(BankError):
    """A business rule refused a money movement that was well formed. Stored with the
    request's idempotency key, so that a retry gets the same answer (as Stripe does)."""


class InsufficientFunds(Refusal):
    """The person tried to take more money than the account holds."""

    field = "amount"


class Blocked(Refusal):
    """The bank's fraud checks stopped the money movement. The message names no rule, so
    that nobody can probe the rules by trial."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(
            message or "we could not make this payment; please contact the bank", field=field
        )


class AccountNotFound(BankError):
    """The account does not exist or does not belong to the person (we do not say which)."""


class StatementNotFound(BankError):
    """The person asked for a statement of their account for a month before it was opened
    or after the current one: there is no such statement (not an empty one)."""

    field = "month"


class UnknownRecipient(Refusal):
    """The person named a recipient account or email that cannot receive this transfer."""


class SameAccount(Refusal):
    """The person tried to transfer money from an account to itself."""


class AccountNotOpen(Refusal):
    """The person tried to move money through a frozen or closed account."""


class EmailTaken(BankError):
    """The person tried to register or switch to an email another user already has."""

    field = "email"


class InvalidCredentials(BankError):
    """The person gave a wrong email/password pair, or an old password that does not match."""


class IdempotencyConflict(BankError):
    """The client reused an idempotency key for a request with a different body."""


class WriteConflict(BankError):
    """Another posting changed the same account at the same moment; retrying is safe."""


class TooManyAccounts(BankError):
    """The customer tried to open more accounts than one customer may hold."""

    field = "type"

    def __init__(self, most: int) -> None:
        super().__init__(f"a customer may hold at most {most} accounts")


class StaleRecord(WriteConflict):
    """Someone else changed the record since it was read; read it again and retry."""


class LinkNotValid(BankError):
    """The person opened an emailed link that was used already, has expired, or never
    existed (the answer does not say which)."""


class StoreError(BankError):
    """The store failed for a reason of its own (network, disk); nothing was posted."""


class BulkLoadOutOfOrder(StoreError):
    """A bulk load's batch came before the one the store expects next (see BulkLoadPort)."""


class LoginLocked(BankError):
    """The person (or someone guessing) failed to log in too often; the email is locked."""

    def __init__(self, message: str, *, until: str) -> None:
        super().__init__(message)
        self.until = until


class SecondFactorRequired(BankError):
    """The person's account has two-factor authentication and no (valid) code was given."""

    field = "otp"


class NotPermitted(BankError):
    """A signed-in person asked for something their role does not allow."""


class DemoOnlyLogin(BankError):
    """The person signed in with one of the demo's published staff logins on a server that
    is not running the demo."""


class PasswordChangeRequired(BankError):
    """The person must replace a one-time password before doing anything else."""


def refusal(kind: str, message: str, field: str | None) -> Refusal:
    """The refusal a store kept with an idempotency key, rebuilt to be raised again."""
    classes = {cls.__name__: cls for cls in Refusal.__subclasses__()}
    cls = classes.get(kind, Refusal)
    return cls(message, field=field)


class HoldNotOpen(BankError):
    """The hold was already released, voided or expired: it is resolved once, and whoever
    came second is told so."""


class HoldNotFound(BankError):
    """No such hold on an account the person may see."""


class AlertNotFound(BankError):
    """No such monitoring alert."""


class AlertChanged(BankError):
    """Someone else changed the alert (or closed it) since the person read it: each alert
    is resolved once, and whoever came second is told so."""


class RuleNotFound(BankError):
    """No such monitoring rule."""


class ReportNotFound(BankError):
    """No built-in or saved report has that name."""


class ReportNameTaken(BankError):
    """The person saved a report under a name another saved report has already."""

    field = "name"


class BacktestNotFound(BankError):
    """No such backtest."""


#: What a customer is told when closing an account that still holds money.
NOT_EMPTY = "move the money out first: an account closes only with nothing in it or on hold"


class AccountNotEmpty(BankError):
    """The person tried to close an account that still holds money or has money on hold:
    it must be moved out first, so that closing never loses a cent."""


class PayeeNotFound(BankError):
    """No such payee among the person's own (another customer's is not found either)."""
