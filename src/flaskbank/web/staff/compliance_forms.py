"""The compliance page's forms: the period it reviews (GET, so no CSRF token) and a
corrective action against one finding."""

from __future__ import annotations

from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from ...domain.compliance import ACTION_MAX
from ...domain.errors import BankError, ValidationFailed
from ..forms import ISO_DAY, ServiceForm


class PeriodForm(ServiceForm):
    class Meta:
        csrf = False

    first = StringField("From", name="from", default="", render_kw=ISO_DAY)
    last = StringField("To", name="to", default="", render_kw=ISO_DAY)

    def refuse(self, error: BankError) -> None:
        # The service names the query's fields (`from` is a keyword, so not an attribute).
        if isinstance(error, ValidationFailed):
            named = {"from": "first", "to": "last"}
            error = ValidationFailed({named.get(k, k): v for k, v in error.errors.items()})
        super().refuse(error)


class CorrectiveActionForm(ServiceForm):
    """One per finding on the page; the template writes its fields with ids of their own,
    and the period reviewed (`from`, `to`) to come back to."""

    finding = HiddenField()
    text = TextAreaField(
        "Corrective action",
        default="",
        render_kw={"rows": 2, "maxlength": ACTION_MAX, "required": True},
    )
    submit = SubmitField("Record action")
