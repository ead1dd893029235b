"""Forms for signing up, signing in and the profile.

Forms parse what the browser sent; the services decide whether it is acceptable (a refusal
lands on the form through ServiceForm, web/forms.py).
"""

from __future__ import annotations

from wtforms import (
    EmailField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from ..forms import ServiceForm


class LoginForm(ServiceForm):
    email = EmailField(
        "Email", default="", render_kw={"autocomplete": "username", "required": True}
    )
    password = PasswordField(
        "Password", render_kw={"autocomplete": "current-password", "required": True}
    )
    submit = SubmitField("Log in")


def phone_field() -> StringField:
    return StringField(
        "Phone number",
        default="",
        render_kw={"autocomplete": "tel", "type": "tel", "maxlength": 30, "required": True},
    )


def address_field() -> TextAreaField:
    return TextAreaField(
        "Postal address",
        default="",
        render_kw={"autocomplete": "street-address", "rows": 4, "required": True},
    )


def date_of_birth_field() -> StringField:
    return StringField(
        "Date of birth",
        default="",
        render_kw={"autocomplete": "bday", "type": "date", "required": True},
    )


class RegisterForm(ServiceForm):
    email = EmailField("Email", default="", render_kw={"autocomplete": "email", "required": True})
    full_name = StringField(
        "Full name",
        default="",
        render_kw={"autocomplete": "name", "maxlength": 100, "required": True},
    )
    phone = phone_field()
    address = address_field()
    date_of_birth = date_of_birth_field()
    password = PasswordField(
        "Password", render_kw={"autocomplete": "new-password", "minlength": 10, "required": True}
    )
    submit = SubmitField("Create my account")


class ProfileForm(ServiceForm):
    full_name = StringField(
        "Full name",
        default="",
        render_kw={"autocomplete": "name", "maxlength": 100, "required": True},
    )
    email = EmailField("Email", default="", render_kw={"autocomplete": "email", "required": True})
    phone = phone_field()
    address = address_field()
    date_of_birth = date_of_birth_field()
    old_password = PasswordField(
        "Current password",
        render_kw={"autocomplete": "current-password"},
    )
    otp = StringField(
        "Code from your authenticator app",
        default="",
        render_kw={"autocomplete": "one-time-code", "maxlength": 20},
    )
    submit = SubmitField("Save profile")


class PasswordForm(ServiceForm):
    old_password = PasswordField(
        "Current password", render_kw={"autocomplete": "current-password", "required": True}
    )
    new_password = PasswordField(
        "New password",
        render_kw={"autocomplete": "new-password", "minlength": 10, "required": True},
    )
    confirm_password = PasswordField(
        "Repeat the new password", render_kw={"autocomplete": "new-password", "required": True}
    )
    otp = StringField(
        "Code from your authenticator app",
        default="",
        render_kw={"autocomplete": "one-time-code", "maxlength": 20},
    )
    submit = SubmitField("Change password")

    def validate_confirm_password(self, field: PasswordField) -> None:
        # A typing check, not a password rule: the rules live in services.customers.
        if field.data != self.new_password.data:
            raise ValidationError("the two new passwords differ")


class CodeForm(ServiceForm):
    """The second step of a login: the app's six digits, or a recovery code."""

    otp = StringField(
        "Code",
        default="",
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "maxlength": 20,
            "required": True,
            "autofocus": True,
        },
    )
    submit = SubmitField("Continue")


class EnrolForm(ServiceForm):
    code = StringField(
        "Code from your app",
        default="",
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": 10,
            "required": True,
        },
    )
    submit = SubmitField("Turn on two-factor authentication")


class DisableTwoFactorForm(ServiceForm):
    password = PasswordField(
        "Current password", render_kw={"autocomplete": "current-password", "required": True}
    )
    submit = SubmitField("Turn off two-factor authentication")


class ForgotPasswordForm(ServiceForm):
    email = EmailField(
        "Email", default="", render_kw={"autocomplete": "username", "required": True}
    )
    submit = SubmitField("Email me a link")


class ResetPasswordForm(ServiceForm):
    new_password = PasswordField(
        "New password",
        render_kw={"autocomplete": "new-password", "minlength": 10, "required": True},
    )
    confirm_password = PasswordField(
        "Repeat the new password", render_kw={"autocomplete": "new-password", "required": True}
    )
    submit = SubmitField("Set my new password")

    def validate_confirm_password(self, field: PasswordField) -> None:
        if field.data != self.new_password.data:
            raise ValidationError("the two new passwords differ")


class ConfirmEmailForm(ServiceForm):
    """A button, not a bare link: mail scanners open links, and must not use them up."""

    submit = SubmitField("Confirm my email address")
