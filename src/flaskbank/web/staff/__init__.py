"""The staff area: `bp` (pages, under /staff) and `api_bp` (JSON, under /api/v1/staff).

Every view carries a `policy.requires(...)` decorator; a view without one is refused."""

from flask import Blueprint

bp: Blueprint = Blueprint("staff", __name__)

from . import (  # noqa: E402,F401  (registers the routes on bp)
    approvals,
    auditlog,
    compliance,
    customer_list,
    customer_pages,
    customers_api,  # noqa: E402,F401  (registers its routes on api_bp)
    entries,
    monitoring_alerts,
    monitoring_api,  # noqa: E402,F401  (registers its routes on api_bp)
    monitoring_live,
    monitoring_setup,
    reports,
    saved_reports,
    users,
    views,
)
from .api import api_bp  # noqa: E402

__all__ = ["api_bp", "bp"]
