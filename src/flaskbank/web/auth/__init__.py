"""The auth blueprint."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import api_access, profile, recovery, security_page, two_factor, views  # noqa: E402,F401  (register the routes on bp)
