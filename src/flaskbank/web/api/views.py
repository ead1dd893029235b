"""API views: parse the body, call one service, answer the status and the resource.

Errors are raised, not built here: domain errors and HTTP errors become problem+json in
web/errors.py, so every status has one wording across the API.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from ...domain.errors import ValidationFailed
from ...domain.holds import Hold
from ...domain.ledger import PostResult
from ...domain.personal import DETAILS as PERSONAL_DETAILS
from ...services import accounts, customers, history, holds, postings, standing_orders, tokens
from ..context import bank, client_device, client_ip
from ..exports import statement_csv
from ..statement_pdf import statement_pdf
from . import bp, openapi, serialize
from . import parse as p
from .auth import api_token, api_user, bearer_required


@bp.after_request
def api_headers(response: Response) -> Response:
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="flaskbank"')
    # Tokens, balances and statements are nobody's to cache.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _json(body: Any, status: int = 200, **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def _posted(result: PostResult, account_id: str) -> Response:
    """201 with the transaction as `account_id` sees it; a replay answers the same."""
    body = serialize.entry(result.transaction.entry_for(account_id))
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return _json(body, 201, **headers)


# -- users and tokens ----------------------------------------------------------------------


@bp.post("/users")
def register() -> Response:
    f = p.fields(
        p.json_object(),
        required=("email", "full_name", "password"),
        optional=("phone", "address", "date_of_birth"),
    )
    user = customers.register(
        bank(),
        email=f["email"],
        full_name=f["full_name"],
        password=f["password"],
        phone=f.get("phone"),
        address=f.get("address"),
        date_of_birth=f.get("date_of_birth"),
    )
    return _json(serialize.user(user), 201, Location=url_for(".me"))


@bp.post("/tokens")
def issue_token() -> Response:
    """Email and password, and `otp` (a TOTP or a recovery code) when the account has 2FA."""
    f = p.fields(p.json_object(), required=("email", "password"), optional=("otp",))
    token, expires_at = tokens.issue_token(
        bank(),
        email=f["email"],
        password=f["password"],
        otp=f["otp"],
        ip=client_ip(),
        device=client_device(),
    )
    return _json({"token": token, "expires_at": expires_at}, 201)


@bp.delete("/tokens/current")
@bearer_required
def revoke_token() -> Response:
    tokens.revoke_token(bank(), api_token(), ip=client_ip())
    return Response(status=204)


@bp.get("/me")
@bearer_required
def me() -> Response:
    return _json(serialize.user(api_user()))


@bp.patch("/me")
@bearer_required
def update_me() -> Response:
    """Profile fields, or a password change ({"old_password", "new_password"}) on its own.
    A new email or password needs `old_password` (and `otp` with two-factor on), and ends
    every session and API token, this one too."""
    f = p.fields(
        p.json_object(),
        optional=(
            "full_name",
            "email",
            "old_password",
            "new_password",
            "otp",
            "phone",
            "address",
            "date_of_birth",
        ),
    )
    user = api_user()
    if f["new_password"] is not None:
        if any(f[k] is not None for k in ("full_name", "email", *PERSONAL_DETAILS)):
            raise ValidationFailed(
                {
                    "new_password": "change the password in a request of its "
                    "own, without full_name or email"
                }
            )
        updated = customers.change_password(
            bank(),
            user.id,
            old_password=f["old_password"],
            new_password=f["new_password"],
            otp=f["otp"],
            ip=client_ip(),
        )
        return _json(serialize.user(updated))
    updated = customers.update_profile(
        bank(),
        user.id,
        full_name=f["full_name"],
        email=f["email"],
        current_password=f["old_password"],
        otp=f["otp"],
        ip=client_ip(),
        **{k: f[k] for k in PERSONAL_DETAILS},
    )
    return _json(serialize.user(updated))


# -- accounts ------------------------------------------------------------------------------


@bp.get("/accounts")
@bearer_required
def list_accounts() -> Response:
    found = accounts.accounts_of(bank(), api_user().id)
    return _json({"items": [serialize.account(a) for a in found]})


@bp.post("/accounts")
@bearer_required
def open_account() -> Response:
    f = p.fields(p.json_object(), required=("type",), optional=("currency",))
    account = accounts.open_account(bank(), api_user().id, type=f["type"], currency=f["currency"])
    return _json(
        serialize.account(account), 201, Location=url_for(".get_account", account_id=account.id)
    )


@bp.get("/accounts/<account_id>")
@bearer_required
def get_account(account_id: str) -> Response:
    return _json(serialize.account(accounts.account_of(bank(), api_user().id, account_id)))


# -- moving money --------------------------------------------------------------------------


@bp.post("/accounts/<account_id>/deposits")
@bearer_required
def deposit(account_id: str) -> Response:
    f = p.fields(p.json_object(), required=("amount",), optional=("memo",))
    result = postings.deposit(
        bank(),
        api_user().id,
        account_id,
        amount=f["amount"],
        memo=f["memo"],
        idempotency_key=p.idempotency_key(),
    )
    return _posted(result, account_id)


@bp.post("/accounts/<account_id>/withdrawals")
@bearer_required
def withdraw(account_id: str) -> Response:
    f = p.fields(p.json_object(), required=("amount",), optional=("memo",))
    result = postings.withdraw(
        bank(),
        api_user().id,
        account_id,
        amount=f["amount"],
        memo=f["memo"],
        idempotency_key=p.idempotency_key(),
    )
    return _posted(result, account_id)


@bp.post("/transfers")
@bearer_required
def transfer() -> Response:
    f = p.fields(
        p.json_object(),
        required=("from_account_id", "amount"),
        optional=("to_account_number", "to_email", "memo", "payee_id"),
    )
    source = str(f.pop("from_account_id"))  # required, so a string
    result = postings.transfer(
        bank(), api_user().id, source, **f, idempotency_key=p.idempotency_key()
    )
    if isinstance(result, Hold):  # accepted, waiting for review: nothing has moved yet
        where = url_for(".get_hold", account_id=source, hold_id=result.id)
        return _json(serialize.pending(result), 202, Location=where)
    return _posted(result, source)


# -- holds ---------------------------------------------------------------------------------


@bp.get("/accounts/<account_id>/holds")
@bearer_required
def list_holds(account_id: str) -> Response:
    """The account's holds, newest first; `?status=open` for those still reserving money."""
    state = request.args.get("status")
    if state not in (None, "open"):
        raise ValidationFailed({"status": "status may only be open"})
    found = holds.holds_of(bank(), api_user().id, account_id, open_only=state == "open")
    return _json({"items": [serialize.hold(h) for h in found]})


@bp.get("/accounts/<account_id>/holds/<hold_id>")
@bearer_required
def get_hold(account_id: str, hold_id: str) -> Response:
    return _json(serialize.hold(holds.hold_of(bank(), api_user().id, account_id, hold_id)))


@bp.post("/accounts/<account_id>/holds/<hold_id>/cancel")
@bearer_required
def cancel_hold(account_id: str, hold_id: str) -> Response:
    """Withdraw one's own transfer while it waits for review (409 once it was resolved)."""
    hold = holds.cancel_pending_transfer(bank(), api_user().id, account_id, hold_id)
    return _json(serialize.hold(hold))


# -- standing orders -----------------------------------------------------------------------


@bp.post("/standing-orders")
@bearer_required
def create_standing_order() -> Response:
    f = p.fields(
        p.json_object(),
        required=("from_account_id", "to_account_number", "amount", "day_of_month"),
        optional=("start_date", "end_date", "memo"),
    )
    order = standing_orders.create(bank(), api_user().id, **f)
    where = url_for(".get_standing_order", order_id=order.id)
    return _json(serialize.standing_order(order), 201, Location=where)


@bp.get("/standing-orders")
@bearer_required
def list_standing_orders() -> Response:
    found = standing_orders.orders_of(bank(), api_user().id)
    return _json({"items": [serialize.standing_order(o) for o in found]})


@bp.get("/standing-orders/<order_id>")
@bearer_required
def get_standing_order(order_id: str) -> Response:
    order, runs = standing_orders.order_of(bank(), api_user().id, order_id)
    return _json(serialize.standing_order(order, runs))


@bp.post("/standing-orders/<order_id>/cancel")
@bearer_required
def cancel_standing_order(order_id: str) -> Response:
    return _json(serialize.standing_order(standing_orders.cancel(bank(), api_user().id, order_id)))


# -- history and statements ----------------------------------------------------------------


@bp.get("/accounts/<account_id>/transactions")
@bearer_required
def list_transactions(account_id: str) -> Response:
    q = request.args
    _, page = history.history(
        bank(),
        api_user().id,
        account_id,
        limit=q.get("limit", "20"),
        cursor=q.get("cursor"),
        since=q.get("since"),
        until=q.get("until"),
        type=q.get("type"),
        q=q.get("q"),
        min_amount=q.get("min_amount"),
        max_amount=q.get("max_amount"),
    )
    return _json(serialize.entries_page(page))


@bp.get("/accounts/<account_id>/statements/<month>")
@bearer_required
def get_statement(account_id: str, month: str) -> Response:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "pdf"):
        raise ValidationFailed({"format": "format must be json, csv or pdf"})
    found = history.statement(bank(), api_user().id, account_id, month)
    if fmt == "json":
        return _json(serialize.statement(found))
    filename = f"statement-{found.account.number}-{found.month}.{fmt}"
    body, mimetype = (
        (statement_csv(found), "text/csv")
        if fmt == "csv"
        else (statement_pdf(found, api_user()), "application/pdf")
    )
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- the document --------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return _json(openapi.DOCUMENT)
