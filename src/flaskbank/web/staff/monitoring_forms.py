"""Forms of the analysts' workspace. As elsewhere they only parse: the monitoring services
decide what is acceptable (a status, a note's length, a rule's parameters) and their
refusals land on the form. Every form that acts on an alert carries the version the analyst
read, so that two analysts acting at once cannot overwrite each other."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.errors import BankError, ValidationFailed
from ...domain.monitoring.model import Action, AlertStatus, Rule, Severity
from ...domain.monitoring.rules import RULE_TYPES
from ...services.monitoring.alerts import NOTE_MAX
from ...services.monitoring.casework import SORTS
from ...services.staff import REASON_MAX
from ..forms import ISO_DAY, ServiceForm

STATUS_NAMES = {
    AlertStatus.OPEN: "Open",
    AlertStatus.INVESTIGATING: "Investigating",
    AlertStatus.FALSE_POSITIVE: "Closed: false positive",
    AlertStatus.CONFIRMED_FRAUD: "Closed: confirmed fraud",
}
SORT_NAMES = {
    "newest": "Newest first",
    "oldest": "Oldest first (age)",
    "severity": "Most severe first",
    "assignee": "Assignee",
    "status": "Status (open first)",
}


class AlertFilterForm(ServiceForm):
    """The queue's filters, read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        validate_choice=False,
        default="",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(s.value, n) for s, n in STATUS_NAMES.items()],
    )
    severity = SelectField(
        "Severity",
        validate_choice=False,
        default="",
        choices=[SelectChoice("", "Any severity")]
        + [SelectChoice(s.value, s.value.capitalize()) for s in reversed(Severity)],
    )
    rule = StringField("Rule", default="", render_kw={"autocomplete": "off", "maxlength": 64})
    customer = StringField(
        "Customer id", default="", render_kw={"autocomplete": "off", "maxlength": 64}
    )
    assignee = StringField(
        "Assignee", default="", render_kw={"autocomplete": "off", "maxlength": 254}
    )
    since = StringField("From", default="", render_kw=ISO_DAY)
    until = StringField("Until", default="", render_kw=ISO_DAY)
    sort = SelectField(
        "Sort by",
        validate_choice=False,
        default="newest",
        choices=[SelectChoice(s, SORT_NAMES[s]) for s in SORTS],
    )


class VersionedForm(ServiceForm):
    """An action on an alert, on the version the analyst read."""

    version = HiddenField()
    submit = SubmitField("Go")

    @property
    def seen_version(self) -> int | None:
        text = self.version.data or ""
        return int(text) if text.isdigit() else None


class StatusForm(VersionedForm):
    """Buttons named `status`: the one pressed says which status."""

    status = StringField("Status")


class AssignForm(VersionedForm):
    assignee = StringField(
        "Assign to (a staff member's email; empty to unassign)",
        default="",
        render_kw={"autocomplete": "off", "maxlength": 254},
    )
    submit = SubmitField("Assign")


class NoteForm(VersionedForm):
    note = TextAreaField(
        "What you found or did", default="", render_kw={"maxlength": NOTE_MAX, "rows": 3}
    )
    submit = SubmitField("Add note")


class AlertFreezeForm(VersionedForm):
    reason = StringField(
        "Reason the customer sees",
        default="",
        render_kw={"maxlength": REASON_MAX, "autocomplete": "off"},
    )
    submit = SubmitField("Freeze the account")


class ThresholdsForm(ServiceForm):
    review_at = StringField("Review at score", render_kw={"inputmode": "numeric"})
    block_at = StringField("Block at score", render_kw={"inputmode": "numeric"})
    submit = SubmitField("Save thresholds")


class BacktestForm(ServiceForm):
    since = StringField("From", default="", render_kw=ISO_DAY)
    until = StringField("Until", default="", render_kw=ISO_DAY)
    rules = TextAreaField("Draft rules (JSON)", default="", render_kw={"rows": 18})
    submit = SubmitField("Run backtest")


class _Checkboxes(SelectMultipleField):  # type: ignore[misc]  # WTForms ships no type hints
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(ServiceForm):
    """The fields every rule has; rule_form() adds the parameters of the rule's type."""

    score = StringField("Score", render_kw={"inputmode": "numeric"})
    action = SelectField(
        "Action when it fires",
        validate_choice=False,
        choices=[SelectChoice(a.value, a.value.capitalize()) for a in Action],
    )
    enabled = BooleanField("Enabled")
    submit = SubmitField("Save rule")

    def params(self) -> dict[str, object]:
        """The parameters as typed: whole numbers where the type wants them, text else (the
        service refuses what does not fit, next to the field)."""
        out: dict[str, object] = {}
        for name, spec in RULE_TYPES[self.rule_type].params.items():
            value = self[f"p_{name}"].data
            if spec.kind == "choices":
                out[name] = list(value or [])
            elif spec.kind in ("amount", "ratio"):
                out[name] = (value or "").strip()
            else:
                text = (value or "").strip()
                out[name] = int(text) if text.isdigit() else text
        return out

    rule_type = ""

    def refuse(self, error: BankError) -> None:
        # The service names a parameter "params.<name>"; here its field is "p_<name>".
        if isinstance(error, ValidationFailed):
            error = ValidationFailed(
                {k.replace("params.", "p_", 1): v for k, v in error.errors.items()}
            )
        super().refuse(error)


def rule_form(rule: Rule, **kwargs: Any) -> RuleForm:
    """The edit form of `rule`, its parameter fields drawn from its type's specs."""
    kind = RULE_TYPES[rule.type]
    fields: dict[str, Field] = {}
    for name, spec in kind.params.items():
        label = f"{name.replace('_', ' ').capitalize()} ({spec.kind})"
        if spec.kind == "choices":
            fields[f"p_{name}"] = _Checkboxes(
                label, choices=list(spec.choices), description=spec.help
            )
        else:
            fields[f"p_{name}"] = StringField(
                label, description=spec.help, render_kw={"autocomplete": "off"}
            )
    form_class = type("RuleTypeForm", (RuleForm,), {**fields, "rule_type": rule.type})
    data: dict[str, object] = {f"p_{n}": _shown(v) for n, v in rule.params.items()}
    data.update(score=str(rule.score), action=rule.action.value, enabled=rule.enabled)
    form: RuleForm = form_class(data=data, **kwargs)
    return form


def _shown(value: object) -> object:
    return value if isinstance(value, list) else str(value)


def param_fields(form: RuleForm) -> list[Any]:
    return [f for f in form if f.name.startswith("p_")]
