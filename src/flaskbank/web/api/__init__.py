"""The JSON API under /api/v1: bearer tokens, problem+json errors, amounts as strings."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
