"""Forms for the staff area. As elsewhere, forms only parse; the staff services decide what is
acceptable (a reason's length, a role's name, an email) and their refusals land on the form
through ServiceForm.refused."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from ...domain.accounts import Role
from ...domain.approvals import REASON_MAX as APPROVAL_REASON_MAX
from ...domain.holds import REASON_MAX as HOLD_REASON_MAX
from ...domain.notes import NOTE_MAX
from ...domain.security import AuditAction
from ...services.staff import FREEZE_MESSAGES, REASON_MAX
from ..forms import ISO_DAY, ServiceForm
from .audit_words import ACTION_NAMES

ROLE_NAMES = {
    Role.CUSTOMER: "Customer",
    Role.FRAUD_ANALYST: "Fraud analyst",
    Role.FINANCIAL_MANAGER: "Financial manager",
    Role.COMPLIANCE_OFFICER: "Compliance officer",
    Role.ADMIN: "Administrator",
}
STAFF_ROLES = [role for role in Role if role is not Role.CUSTOMER]


def role_choices(roles: Iterable[Role]) -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_NAMES[role]) for role in roles]


class SearchForm(ServiceForm):
    """The customer search (GET, so no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        "Name, email, account or phone number",
        default="",
        render_kw={"type": "search", "autocomplete": "off", "maxlength": 100, "required": True},
    )


class UnfreezeForm(ServiceForm):
    reason = StringField(
        "Internal reason",
        default="",
        render_kw={"maxlength": REASON_MAX, "autocomplete": "off", "required": True},
    )
    submit = SubmitField("Ask for approval to unfreeze")


class FreezeForm(UnfreezeForm):
    customer_message = SelectField(
        "What the customer is told",
        choices=[SelectChoice(key, text) for key, text in FREEZE_MESSAGES.items()],
        default="review",
    )
    submit = SubmitField("Freeze account")


class HoldForm(ServiceForm):
    amount = StringField(
        "Amount to hold",
        default="",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "required": True},
    )
    reason = StringField(
        "Reason",
        default="",
        render_kw={"maxlength": HOLD_REASON_MAX, "autocomplete": "off", "required": True},
    )
    expires_at = StringField(
        "Lapses on (optional)",
        default="",
        render_kw={"placeholder": "2026-12-31T17:00:00Z", "autocomplete": "off"},
    )
    submit = SubmitField("Place hold")


class NoteForm(ServiceForm):
    text = TextAreaField(
        "New note",
        default="",
        render_kw={"rows": 3, "maxlength": NOTE_MAX, "required": True},
    )
    submit = SubmitField("Add note")


class ApprovalRequestForm(ServiceForm):
    """Asking for an action that a second person approves (services/approvals.py)."""

    reason = StringField(
        "Reason",
        default="",
        render_kw={"maxlength": APPROVAL_REASON_MAX, "autocomplete": "off", "required": True},
    )
    submit = SubmitField("Ask for approval")


class CloseAccountForm(ApprovalRequestForm):
    """Asking to close an account with a balance: where the money goes (the customer's
    other open accounts, or a cheque; the view fills in the choices), and why."""

    # The service judges the choice (the same customer's open account), with its message.
    detail = SelectField("Where the balance goes", choices=[], validate_choice=False)
    submit = SubmitField("Ask for approval to close")


class HoldActionForm(ServiceForm):
    """A release or void button; only its CSRF token is checked."""

    submit = SubmitField("Go")


class CreateStaffForm(ServiceForm):
    email = EmailField("Email", default="", render_kw={"autocomplete": "off", "required": True})
    full_name = StringField(
        "Full name",
        default="",
        render_kw={"autocomplete": "off", "maxlength": 100, "required": True},
    )
    # Whether a role is allowed is the service's call (it refuses "customer" and unknowns).
    role = SelectField("Role", validate_choice=False, choices=role_choices(STAFF_ROLES))
    submit = SubmitField("Create staff user")


class RoleForm(ServiceForm):
    role = SelectField("Role", validate_choice=False, choices=role_choices(Role))
    submit = SubmitField("Change role")


class ConfirmForm(ServiceForm):
    """A button that changes something: only its CSRF token is read."""

    submit = SubmitField("Confirm")


class UnlockForm(ServiceForm):
    email = EmailField(
        "Email of the locked login", default="", render_kw={"autocomplete": "off", "required": True}
    )
    submit = SubmitField("Unlock login")

    def validate_email(self, field: EmailField) -> None:
        # The service clears whatever key it is given; an empty one is a slip, not a request.
        if not (field.data or "").strip():
            raise ValidationError("give the email of the locked login")


class AuditFilterForm(ServiceForm):
    """Audit log filters, read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(
        "Action",
        validate_choice=False,
        default="",
        choices=[SelectChoice("", "All actions")]
        + [SelectChoice(a.value, ACTION_NAMES[a]) for a in AuditAction],
    )
    actor = StringField(
        "Actor email", default="", render_kw={"autocomplete": "off", "maxlength": 254}
    )
    since = StringField("From", default="", render_kw=ISO_DAY)
    until = StringField("Until", default="", render_kw=ISO_DAY)
