"""One error vocabulary: domain errors to HTTP statuses, answered as problem+json to the API
and as an HTML page to the browser."""

from __future__ import annotations

import math
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..domain import errors as e
from ..domain.ledger import parse_utc_iso
from ..warehouse.base import WarehouseError
from .context import bank
from .problems import TITLES, problem
from .ratelimits import RateLimited

#: A problem `type` that tells a client to send the TOTP or a recovery code as `otp`.
SECOND_FACTOR_TYPE = "https://flaskbank.example/problems/second-factor-required"
#: A payment the bank's fraud checks stopped (the detail names no rule).
BLOCKED_TYPE = "https://flaskbank.example/problems/blocked"

CSRF_MESSAGE = "The form expired or was not sent from this site; reload the page and try again."
TOO_MANY = "You have tried this too often; wait a moment and try again."

STATUS: dict[type[e.BankError], int] = {
    e.ValidationFailed: 422,
    e.InvalidAmount: 422,
    e.InsufficientFunds: 422,
    e.UnknownRecipient: 422,
    e.SameAccount: 422,
    e.AccountNotOpen: 422,
    e.Blocked: 422,
    e.EmailTaken: 422,
    e.AccountNotFound: 404,
    e.StatementNotFound: 404,
    e.InvalidCredentials: 401,
    e.SecondFactorRequired: 401,
    e.DemoOnlyLogin: 401,  # these credentials sign in nowhere but the demo: a login form message
    e.NotPermitted: 403,
    e.PasswordChangeRequired: 403,
    e.LoginLocked: 429,
    e.IdempotencyConflict: 409,
    e.HoldNotOpen: 409,
    e.HoldNotFound: 404,
    e.AlertNotFound: 404,
    e.AlertChanged: 409,
    e.RuleNotFound: 404,
    e.BacktestNotFound: 404,
    e.ReportNotFound: 404,
    e.ReportNameTaken: 422,
    e.LinkNotValid: 410,  # an emailed link that was used or has expired
    e.AccountNotEmpty: 409,
    e.PayeeNotFound: 404,
    e.WriteConflict: 503,
    e.StoreError: 503,
}


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


def locked_for(error: e.LoginLocked) -> int:
    """Seconds until a login lock runs out, by the bank's clock."""
    left = (parse_utc_iso(error.until) - bank().clock()).total_seconds()
    return max(1, math.ceil(left))


def problem_for(error: e.BankError) -> Response:
    status = status_of(error)
    if isinstance(error, e.StatementNotFound):  # only ever about the person's own account
        return problem(404, error.message)
    if status == 404:  # the same answer whether the account is missing or someone else's
        return problem(404, "no such account")
    extra: dict[str, Any] = {}
    if isinstance(error, e.SecondFactorRequired):
        extra["type"] = SECOND_FACTOR_TYPE
    elif isinstance(error, e.Blocked):
        extra["type"] = BLOCKED_TYPE
    response = problem(status, error.message, field_errors(error) or None, **extra)
    if isinstance(error, e.LoginLocked):
        response.headers["Retry-After"] = str(locked_for(error))
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.errorhandler(e.BankError)
    def bank_error(error: e.BankError) -> Any:
        if _wants_json():
            return problem_for(error)
        status = status_of(error)
        return render_template("error.html", status=status, message=error.message), status

    @app.errorhandler(WarehouseError)
    def warehouse_error(error: WarehouseError) -> Any:
        # Only staff read the warehouse (reports, compliance), and what to do is theirs.
        if _wants_json():
            return problem(503, f"the reports are unavailable: {error.message}")
        return render_template(
            "error.html", status=503, message=TITLES[503], detail=error.message
        ), 503

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        # The API is exempt from CSRF, so this is always a browser's form.
        return render_template(
            "error.html", status=400, message=TITLES[400], detail=CSRF_MESSAGE
        ), 400

    @app.errorhandler(RateLimited)
    def rate_limited(error: RateLimited) -> Any:
        wait = str(error.retry_after)
        if _wants_json():
            response = problem(
                429, f"too many requests ({error.description}); retry after {wait} seconds"
            )
        else:
            response = current_app.make_response(
                (
                    render_template("error.html", status=429, message=TITLES[429], detail=TOO_MANY),
                    429,
                )
            )
        response.headers["Retry-After"] = wait
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # A bank error raised after the view, e.g. while saving the session at the end of a
        # request when the store is down, reaches here as a 500: answer it as itself (503).
        cause = getattr(error, "original_exception", None)
        if isinstance(cause, e.BankError):
            return bank_error(cause)
        status = error.code or 500
        if _wants_json():
            response = problem(status, error.description or TITLES.get(status, "Error"))
            # Keep what the exception says about itself, such as Allow on a 405.
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return render_template(
            "error.html", status=status, message=TITLES.get(status, error.name)
        ), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        app.logger.exception("unhandled error", exc_info=error)
        if _wants_json():
            return problem(500, "something went wrong on our side; nothing was posted")
        return render_template(
            "error.html", status=500, message="Something went wrong on our side."
        ), 500
