"""The JSON API under /api/v1: bearer tokens, problem+json errors, amounts as strings."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import payments, views  # noqa: E402,F401  (register the routes on bp)
