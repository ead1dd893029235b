"""API views for paying someone and account housekeeping: saved payees, a transfer's review
(quote) before it is sent, an account's nickname, the primary account, closing an account.
Parse the body, call one service, answer the status and the resource."""

from __future__ import annotations

from flask import Response, jsonify, url_for

from ...services import accounts, payees, transfer_review
from ...services.audit import Actor
from ..context import bank, client_ip
from . import bp, serialize
from . import parse as p
from .auth import api_user, bearer_required


def _json(body: object, status: int = 200, **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


# -- accounts ------------------------------------------------------------------------------


@bp.patch("/accounts/<account_id>")
@bearer_required
def update_account(account_id: str) -> Response:
    """The nickname ("" removes it)."""
    f = p.fields(p.json_object(), required=("nickname",))
    account = accounts.rename_account(bank(), api_user().id, account_id, f["nickname"])
    return _json(serialize.account(account))


@bp.post("/accounts/<account_id>/primary")
@bearer_required
def choose_primary(account_id: str) -> Response:
    """Money sent to the customer's email lands in this account from now on."""
    return _json(serialize.account(accounts.choose_primary(bank(), api_user().id, account_id)))


@bp.post("/accounts/<account_id>/close")
@bearer_required
def close_account(account_id: str) -> Response:
    """409 while the balance or held amount is not zero: move the money out first."""
    actor = Actor.of(api_user(), client_ip())
    return _json(serialize.account(accounts.close_account(bank(), actor, account_id)))


# -- a transfer's review -------------------------------------------------------------------


@bp.post("/transfers/quote")
@bearer_required
def quote_transfer() -> Response:
    """What POST /transfers with the same body would do now, without doing it: the amount
    and the recipient masked, or the problem it would be refused with."""
    f = p.fields(
        p.json_object(),
        required=("from_account_id", "amount"),
        optional=("to_account_number", "to_email", "memo", "payee_id"),
    )
    source = str(f.pop("from_account_id"))
    review = transfer_review.review_transfer(bank(), api_user().id, source, **f)
    return _json(serialize.review(review))


# -- saved payees --------------------------------------------------------------------------


@bp.get("/payees")
@bearer_required
def list_payees() -> Response:
    return _json({"items": [serialize.payee(x) for x in payees.payees_of(bank(), api_user().id)]})


@bp.post("/payees")
@bearer_required
def add_payee() -> Response:
    f = p.fields(p.json_object(), required=("nickname",), optional=("account_number", "email"))
    payee = payees.add_payee(bank(), api_user().id, **f)
    where = url_for(".get_payee", payee_id=payee.id)
    return _json(serialize.payee(payee), 201, Location=where)


@bp.get("/payees/<payee_id>")
@bearer_required
def get_payee(payee_id: str) -> Response:
    return _json(serialize.payee(payees.payee_of(bank(), api_user().id, payee_id)))


@bp.patch("/payees/<payee_id>")
@bearer_required
def rename_payee(payee_id: str) -> Response:
    f = p.fields(p.json_object(), required=("nickname",))
    return _json(
        serialize.payee(payees.rename_payee(bank(), api_user().id, payee_id, f["nickname"]))
    )


@bp.delete("/payees/<payee_id>")
@bearer_required
def remove_payee(payee_id: str) -> Response:
    payees.remove_payee(bank(), api_user().id, payee_id)
    return Response(status=204)
