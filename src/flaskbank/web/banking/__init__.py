"""The banking blueprint."""

from flask import Blueprint

bp = Blueprint("banking", __name__)

from . import housekeeping, statement_pdf, views  # noqa: E402,F401  (register routes on bp)
