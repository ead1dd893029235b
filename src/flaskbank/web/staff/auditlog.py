"""The audit log, for admins and compliance officers: newest first, filtered by action, actor
and days, a page at a time with the store's opaque cursor; in words (audit_words.py), with
each target by name and linked to the customer it concerns."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ...domain.errors import BankError
from ...domain.security import Permission
from ...services import audit, audit_targets
from ..context import bank
from . import bp
from .audit_words import action_name, detail_name
from .forms import AuditFilterForm
from .policy import requires, staff_user
from .views import refused

AUDIT_PAGE = 50


@bp.get("/audit")
@requires(Permission.VIEW_AUDIT_LOG)
def audit_log() -> Any:
    form = AuditFilterForm(formdata=request.args)
    cursor = request.args.get("cursor") or None
    try:
        page = audit.audit_log(
            bank(),
            staff_user(),
            limit=AUDIT_PAGE,
            cursor=cursor,
            action=form.action.data,
            actor_email=form.actor.data,
            since=form.since.data,
            until=form.until.data,
        )
    except BankError as error:
        return refused(form, error, "staff/audit.html", page=None, cursor=cursor, **WORDS)
    ids = [e.target for e in page.items] + [
        e.details["to_account"] for e in page.items if "to_account" in e.details
    ]
    return render_template(
        "staff/audit.html",
        form=form,
        page=page,
        cursor=cursor,
        **{**WORDS, "targets": audit_targets.describe(bank(), staff_user(), ids)},
    )


WORDS = {"action_name": action_name, "detail_name": detail_name, "targets": {}}
