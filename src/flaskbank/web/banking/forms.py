"""Forms for accounts, money movements, history filters and statements.

Amounts, memos and recipients are passed to the services as typed: the services parse and
check them, so a rule is written once for the browser and the API alike.
"""

from __future__ import annotations

import re
import uuid

from wtforms import (
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    ValidationError,
)

from ...domain.accounts import Account, AccountType, format_account_number
from ...domain.ledger import MEMO_MAX, TransactionType
from ...domain.money import MINOR_UNITS
from ...domain.payees import Payee
from ...domain.search import SEARCH_TEXT_MAX
from ..filters import money
from ..forms import ISO_DAY, ISO_MONTH, ServiceForm

CURRENCY_NAMES = {"USD": "US dollar", "EUR": "Euro", "GBP": "Pound sterling"}


def currency_choices(default: str) -> list[SelectChoice]:
    """The currencies the bank keeps, its default first."""
    codes = sorted(MINOR_UNITS, key=lambda code: (code != default, code))
    return [SelectChoice(code, f"{code} – {CURRENCY_NAMES.get(code, code)}") for code in codes]


def account_label(account: Account) -> str:
    named = f"{account.nickname} · " if account.nickname else ""
    return (
        f"{named}{account.type.value.capitalize()} {format_account_number(account.number)} "
        f"({money(account.balance)})"
    )


#: An amount as the pages show it, with commas between thousands: "1,000.00", "12,345".
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")


def grouped_amount(text: object) -> object:
    """Accept an amount typed the way the pages show it ("1,000.00" is 1000.00). Only
    commas between groups of three digits go; anything else ("1,00", "1.000,00") is left
    for the service to refuse with its message, so no amount is ever guessed."""
    if isinstance(text, str) and _GROUPED.fullmatch(text.strip()):
        return text.strip().replace(",", "")
    return text


def fresh_token() -> str:
    return str(uuid.uuid4())


class OpenAccountForm(ServiceForm):
    # The choices' texts come from here; whether a value is allowed is the service's call.
    type = SelectField(
        "Account type",
        validate_choice=False,
        default=AccountType.CHECKING.value,
        choices=[SelectChoice(t.value, t.value.capitalize()) for t in AccountType],
    )
    currency = SelectField("Currency", validate_choice=False)
    submit = SubmitField("Open account")


class MovementForm(ServiceForm):
    """A form that moves money. `token` is a one-time key rendered with the form and passed to
    the service as the idempotency key: posting the same form twice posts once."""

    token = HiddenField(default=fresh_token)
    amount = StringField(
        "Amount",
        default="",
        filters=[grouped_amount],
        render_kw={
            "inputmode": "decimal",
            "autocomplete": "off",
            "required": True,
            "placeholder": "0.00",
        },
    )
    memo = StringField(
        "Memo (optional)", default="", render_kw={"maxlength": MEMO_MAX, "autocomplete": "off"}
    )

    def validate_token(self, field: HiddenField) -> None:
        # Without the token it was rendered with, a post could not be told from a
        # resubmission (the default would be a new one): refuse it, with a token for next time.
        if not field.raw_data or not field.raw_data[0]:
            field.data = fresh_token()
            raise ValidationError("This form lost its one-time code; please submit it again.")

    def renew_token(self) -> None:
        """A new token, for a form whose old one was used for a different request."""
        self.token.data = fresh_token()


class DepositForm(MovementForm):
    submit = SubmitField("Deposit")


class WithdrawForm(MovementForm):
    submit = SubmitField("Withdraw")


class TransferForm(MovementForm):
    """A transfer in two steps: the form, then a review of what it will do (the recipient
    masked), whose confirm button sends the same fields with `confirmed` and the same token,
    so that a double confirm posts once."""

    # Listed in the order a person reads the form.
    from_account = SelectField("From account")
    payee_id = SelectField("A saved payee", default="")
    to_own_account = SelectField("or one of your accounts", default="")
    to_account_number = StringField(
        "or the recipient's account number",
        default="",
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    to_email = StringField(
        "or the recipient's email", default="", render_kw={"type": "email", "autocomplete": "off"}
    )
    confirmed = HiddenField(default="")
    submit = SubmitField("Review transfer")

    def offer(self, accounts: list[Account], payees: list[Payee] | None = None) -> None:
        """The accounts money can be sent from and to (the person's own open accounts), and
        their saved payees."""
        mine = [SelectChoice(a.id, account_label(a)) for a in accounts if a.is_open]
        self.from_account.choices = mine
        self.to_own_account.choices = [SelectChoice("", "—"), *mine]
        self.payee_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(p.id, payee_label(p)) for p in payees or []
        ]

    def own_number(self, accounts: list[Account]) -> str | None:
        """The number of the own account picked as recipient, if one was."""
        chosen = {a.id: a.number for a in accounts}.get(str(self.to_own_account.data or ""))
        if chosen and (self.to_account_number.data or "").strip():
            self.to_own_account.errors = [
                *self.to_own_account.errors,
                "choose one of your accounts or type a number, not both",
            ]
            return None
        return chosen


def payee_label(payee: Payee) -> str:
    where = format_account_number(payee.number) if payee.number else payee.email
    return f"{payee.nickname} ({where})"


class HistoryFilterForm(ServiceForm):
    """Filters read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        "Search", default="", render_kw={"type": "search", "maxlength": SEARCH_TEXT_MAX}
    )
    since = StringField("From", default="", render_kw=ISO_DAY)
    until = StringField("Until", default="", render_kw=ISO_DAY)
    min_amount = StringField(
        "Amount from",
        default="",
        filters=[grouped_amount],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"},
    )
    max_amount = StringField(
        "Amount to",
        default="",
        filters=[grouped_amount],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"},
    )
    type = SelectField(
        "Type",
        validate_choice=False,
        default="",
        choices=[SelectChoice("", "All types")]
        + [SelectChoice(t.value, t.value.capitalize()) for t in TransactionType],
    )


class StatementForm(ServiceForm):
    """The month to show (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    month = StringField(
        "Month",
        default="",
        render_kw=ISO_MONTH,
    )


class CancelForm(ServiceForm):
    """A button that withdraws a pending transfer; only its CSRF token is checked."""

    submit = SubmitField("Cancel this transfer")


class StandingOrderForm(ServiceForm):
    from_account = SelectField("From account")
    to_account_number = StringField(
        "Pay to account number",
        default="",
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": 20,
            "required": True,
        },
    )
    amount = StringField(
        "Amount",
        default="",
        filters=[grouped_amount],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    day_of_month = StringField(
        "Day of the month", default="1", render_kw={"inputmode": "numeric", "maxlength": 2}
    )
    start_date = StringField("First payment on or after", default="", render_kw=ISO_DAY)
    end_date = StringField("Last payment by (optional)", default="", render_kw=ISO_DAY)
    memo = StringField("Memo", default="", render_kw={"maxlength": MEMO_MAX, "autocomplete": "off"})
    submit = SubmitField("Set up standing order")

    def offer(self, accounts: list[Account]) -> None:
        self.from_account.choices = [
            SelectChoice(a.id, account_label(a)) for a in accounts if a.is_open
        ]
