"""Saved reports: staff who may build reports (Permission.BUILD_REPORTS) save a report's
parameters under a name; everyone who may read reports lists and opens them (one link
shows all of them the same figures); the owner or an admin deletes one. Saving and deleting
are audited, each in one unit of work with its audit entry."""

from __future__ import annotations

from collections.abc import Mapping

from ...domain.accounts import Role, User
from ...domain.errors import NotPermitted, ReportNotFound, ValidationFailed
from ...domain.ledger import new_id
from ...domain.saved_reports import SavedReport, clean_report_name
from ...domain.security import AuditAction, Permission
from ...warehouse.base import WarehousePort
from ..audit import Actor, record
from ..bank import Bank
from ..permissions import require
from . import reports
from .catalog import Report


def save(
    bank: Bank, staff: User, *, name: object, report: object, params: object, actor: Actor
) -> SavedReport:
    """`params` as the report's URL carries them (from, to, period, filters); they are
    checked as the report checks them and kept as it understood them."""
    require(staff, Permission.BUILD_REPORTS)
    errors: dict[str, str] = {}
    clean = ""
    try:
        clean = clean_report_name(name)
    except ValidationFailed as e:
        errors.update(e.errors)
    spec = reports.SPECS.get(report) if isinstance(report, str) else None
    if spec is None:
        errors["report"] = "must be one of " + ", ".join(reports.SPECS)
    if not isinstance(params, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    ):
        errors["params"] = "must be an object of text values"
    if errors or spec is None or not isinstance(params, Mapping):
        raise ValidationFailed(errors)
    query = reports.parse_query(spec, params)
    saved = SavedReport(
        new_id(), clean, spec.name, query.params(), staff.id, staff.email, bank.now()
    )

    def keep() -> None:
        bank.store.saved_reports.add_saved_report(saved)
        record(bank, actor, AuditAction.REPORT_SAVED, saved.id, name=clean, report=spec.name)

    bank.in_unit(keep)
    return saved


def listing(bank: Bank, staff: User) -> list[SavedReport]:
    require(staff, Permission.VIEW_REPORTS)
    return bank.store.saved_reports.saved_reports()


def get(bank: Bank, staff: User, report_id: str) -> SavedReport:
    require(staff, Permission.VIEW_REPORTS)
    found = bank.store.saved_reports.get_saved_report(report_id)
    if found is None:
        raise ReportNotFound("no such saved report")
    return found


def run(
    bank: Bank, warehouse: WarehousePort, staff: User, report_id: str
) -> tuple[SavedReport, Report]:
    """The saved report and its figures, asked with the parameters it was saved with."""
    saved = get(bank, staff, report_id)
    spec = reports.spec(saved.report)
    return saved, reports.run(warehouse, staff, spec, reports.parse_query(spec, saved.params))


def delete(bank: Bank, staff: User, report_id: str, *, actor: Actor) -> SavedReport:
    """Only its owner or an admin deletes a saved report."""
    require(staff, Permission.BUILD_REPORTS)
    saved = get(bank, staff, report_id)
    if saved.owner_id != staff.id and staff.role is not Role.ADMIN:
        raise NotPermitted("only its owner or an admin may delete a saved report")

    def remove() -> None:
        bank.store.saved_reports.remove_saved_report(saved)
        record(bank, actor, AuditAction.REPORT_DELETED, saved.id, name=saved.name)

    bank.in_unit(remove)
    return saved
