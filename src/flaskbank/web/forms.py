"""The base every browser form shares: a FlaskForm that shows a service's refusal next to the
fields it is about, so that each message is worded once, where the rule lives."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_wtf import FlaskForm

from ..domain.errors import BankError
from .errors import field_errors, status_of

# Statuses at which a refusal is shown on the form; any other (404, 503) goes to error.html.
# A login lock (429) is shown on the login form, so the person knows why and for how long.
FORM_STATUSES = (401, 409, 422, 429)
HIDDEN = ("HiddenField", "CSRFTokenField")


class ServiceForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
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


#: Dates are typed as the pages write them (2026-01-31). A native date picker would show
#: them in the browser's locale (01/31/2026 in en-US) beside pages that say 2026-01-31.
ISO_DAY = {
    "placeholder": "YYYY-MM-DD",
    "pattern": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "inputmode": "numeric",
    "autocomplete": "off",
    "maxlength": 10,
}
ISO_MONTH = {**ISO_DAY, "placeholder": "YYYY-MM", "pattern": r"[0-9]{4}-[0-9]{2}", "maxlength": 7}
