"""The banking blueprint."""

from flask import Blueprint

bp = Blueprint("banking", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
