"""Problem details (RFC 9457) for the JSON API: the body every API error answers with.

Kept apart from errors.py, which maps the bank's errors onto these, so that the API's
authentication can answer a 401 without importing the whole error vocabulary.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int, detail: str, errors: dict[str, str] | None = None, **extra: Any
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response
