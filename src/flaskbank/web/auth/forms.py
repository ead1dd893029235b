"""Forms for signing up, signing in and the profile, and the base every browser form shares.

Forms parse what the browser sent; the services decide whether it is acceptable. A refusal
from a service comes back as a BankError and lands on the form through `ServiceForm.refuse`,
so each message is worded once, where the rule lives.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField, ValidationError

from ...domain.errors import BankError
from ..errors import field_errors, status_of

# Statuses at which a refusal is shown on the form; any other (404, 503) goes to error.html.
# A login lock (429) is shown on the login form, so the person knows why and for how long.
FORM_STATUSES = (401, 409, 422, 429)
HIDDEN = ("HiddenField", "CSRFTokenField")


class ServiceForm(FlaskForm):
    """A FlaskForm that can show a service's refusal next to the fields it is about."""

    def page(self, template: str, **context: Any) -> tuple[str, int]:
        """The page with this form: 200 when blank, 422 when what was posted is refused."""
        status = 422 if self.is_submitted() and self.errors else 200
        return render_template(template, form=self, **context), status

    def refused(self, error: BankError, template: str, **context: Any) -> tuple[str, int]:
        """The page again with what was typed and the service's messages, at the status the
        error vocabulary gives the error; an error no form can show is raised again."""
        status = status_of(error)
        if status not in FORM_STATUSES:
            raise error
        self.refuse(error)
        return render_template(template, form=self, **context), status

    @property
    def general_errors(self) -> list[str]:
        """Messages not about a visible field: the form's own, and its hidden fields'."""
        hidden = [message for field in self if field.type in HIDDEN for message in field.errors]
        return [*self.form_errors, *hidden]

    def refuse(self, error: BankError) -> None:
        """Attach `error` to the named fields, or to the form when no field of ours is named."""
        messages = field_errors(error)
        if not messages:
            self.form_errors.append(error.message)
        for name, message in messages.items():
            field = self._fields.get(name)
            if field is None or field.type in HIDDEN:
                self.form_errors.append(message)
            else:
                field.errors = [*field.errors, message]


class LoginForm(ServiceForm):
    email = EmailField("Email", default="", render_kw={"autocomplete": "username",
                                                        "required": True})
    password = PasswordField("Password", render_kw={"autocomplete": "current-password",
                                                    "required": True})
    submit = SubmitField("Log in")


class RegisterForm(ServiceForm):
    email = EmailField("Email", default="", render_kw={"autocomplete": "email",
                                                        "required": True})
    full_name = StringField("Full name", default="", render_kw={"autocomplete": "name",
                                                                "maxlength": 100,
                                                                "required": True})
    password = PasswordField("Password", render_kw={"autocomplete": "new-password",
                                                    "minlength": 10, "required": True})
    submit = SubmitField("Create my account")


class ProfileForm(ServiceForm):
    full_name = StringField("Full name", default="", render_kw={"autocomplete": "name",
                                                                "maxlength": 100,
                                                                "required": True})
    email = EmailField("Email", default="", render_kw={"autocomplete": "email",
                                                        "required": True})
    old_password = PasswordField("Current password (needed to change your email)",
                                 render_kw={"autocomplete": "current-password"})
    otp = StringField("Code from your authenticator app", default="",
                      render_kw={"autocomplete": "one-time-code", "maxlength": 20})
    submit = SubmitField("Save profile")


class PasswordForm(ServiceForm):
    old_password = PasswordField("Current password",
                                 render_kw={"autocomplete": "current-password",
                                            "required": True})
    new_password = PasswordField("New password", render_kw={"autocomplete": "new-password",
                                                            "minlength": 10,
                                                            "required": True})
    confirm_password = PasswordField("Repeat the new password",
                                     render_kw={"autocomplete": "new-password",
                                                "required": True})
    otp = StringField("Code from your authenticator app", default="",
                      render_kw={"autocomplete": "one-time-code", "maxlength": 20})
    submit = SubmitField("Change password")

    def validate_confirm_password(self, field: PasswordField) -> None:
        # A typing check, not a password rule: the rules live in services.customers.
        if field.data != self.new_password.data:
            raise ValidationError("the two new passwords differ")


class CodeForm(ServiceForm):
    """The second step of a login: the app's six digits, or a recovery code."""

    otp = StringField("Code", default="", render_kw={"autocomplete": "one-time-code",
                                                     "inputmode": "text", "maxlength": 20,
                                                     "required": True, "autofocus": True})
    submit = SubmitField("Continue")


class EnrolForm(ServiceForm):
    code = StringField("Code from your app", default="",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "maxlength": 10, "required": True})
    submit = SubmitField("Turn on two-factor authentication")


class DisableTwoFactorForm(ServiceForm):
    password = PasswordField("Current password", render_kw={"autocomplete": "current-password",
                                                            "required": True})
    submit = SubmitField("Turn off two-factor authentication")
