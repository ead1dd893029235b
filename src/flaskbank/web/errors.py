"""One error vocabulary: domain errors to HTTP statuses, answered as problem+json to the API
and as an HTML page to the browser."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..domain import errors as e

STATUS: dict[type[e.BankError], int] = {
    e.ValidationFailed: 422,
    e.InvalidAmount: 422,
    e.InsufficientFunds: 422,
    e.UnknownRecipient: 422,
    e.SameAccount: 422,
    e.AccountNotOpen: 422,
    e.EmailTaken: 422,
    e.AccountNotFound: 404,
    e.InvalidCredentials: 401,
    e.IdempotencyConflict: 409,
    e.WriteConflict: 503,
    e.StoreError: 503,
}

TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Request too large", 415: "Unsupported media type",
          422: "Unprocessable content", 429: "Too many requests", 500: "Internal error",
          503: "Service unavailable"}


def status_of(error: e.BankError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def field_errors(error: e.BankError) -> dict[str, str]:
    """Per-field messages for a form or a 422 body."""
    if isinstance(error, e.ValidationFailed):
        return dict(error.errors)
    return {error.field: error.message} if error.field else {}


def problem(status: int, detail: str, errors: dict[str, str] | None = None,
            **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def problem_for(error: e.BankError) -> Response:
    status = status_of(error)
    if status == 404:  # the same answer whether the account is missing or someone else's
        return problem(404, "no such account")
    return problem(status, error.message, field_errors(error) or None)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.errorhandler(e.BankError)
    def bank_error(error: e.BankError) -> Any:
        if _wants_json():
            return problem_for(error)
        status = status_of(error)
        return render_template("error.html", status=status, message=error.message), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if _wants_json():
            response = problem(status, error.description or TITLES.get(status, "Error"))
            # Keep what the exception says about itself, such as Allow on a 405.
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return render_template("error.html", status=status,
                               message=TITLES.get(status, error.name)), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        app.logger.exception("unhandled error", exc_info=error)
        if _wants_json():
            return problem(500, "something went wrong on our side; nothing was posted")
        return render_template("error.html", status=500,
                               message="Something went wrong on our side."), 500
