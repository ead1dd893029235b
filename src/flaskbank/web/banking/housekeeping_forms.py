"""Forms for an account's settings (nickname, primary, closing) and for saved payees.
Values go to the services as typed: they check them, once for the browser and the API."""

from __future__ import annotations

from wtforms import StringField, SubmitField

from ...domain.accounts import NICKNAME_MAX
from ...domain.payees import PAYEE_NICKNAME_MAX
from ..forms import ServiceForm


class NicknameForm(ServiceForm):
    nickname = StringField(
        "Nickname", default="", render_kw={"maxlength": NICKNAME_MAX, "autocomplete": "off"}
    )
    submit = SubmitField("Save nickname")


class PrimaryForm(ServiceForm):
    """A button: only its CSRF token is checked."""

    submit = SubmitField("Receive money sent to my email here")


class CloseAccountForm(ServiceForm):
    submit = SubmitField("Close this account")


class PayeeForm(ServiceForm):
    nickname = StringField(
        "Nickname", default="", render_kw={"maxlength": PAYEE_NICKNAME_MAX, "autocomplete": "off"}
    )
    account_number = StringField(
        "Account number",
        default="",
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    email = StringField("or email", default="", render_kw={"type": "email", "autocomplete": "off"})
    submit = SubmitField("Save payee")


class RenamePayeeForm(ServiceForm):
    nickname = StringField("New nickname", default="", render_kw={"maxlength": PAYEE_NICKNAME_MAX})
    submit = SubmitField("Rename")


class RemovePayeeForm(ServiceForm):
    submit = SubmitField("Remove")
