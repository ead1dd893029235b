"""API access: how programs get a token, and the person's tokens with their revocation. Kept
off the profile page, which customers read without knowing what an API is."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...domain.accounts import User
from ...services import tokens
from ..context import bank, client_ip, login_required, signed_in
from . import bp

#: How many characters of a token's hash name it on the page (and in the audit log).
TOKEN_ID_CHARS = 12


def token_rows(user: User) -> list[dict[str, Any]]:
    """The user's API tokens, newest first, with the state a person reads."""
    now = bank().now()
    rows = []
    for token in tokens.tokens_of(bank(), user):
        state = "revoked" if token.revoked else "expired" if token.expires_at <= now else "active"
        rows.append(
            {
                "id": token.token_hash[:TOKEN_ID_CHARS],
                "created_at": token.created_at,
                "expires_at": token.expires_at,
                "state": state,
            }
        )
    return sorted(rows, key=lambda r: r["created_at"], reverse=True)


@bp.get("/profile/api")
@login_required
def api_access() -> str:
    user = signed_in()
    return render_template(
        "auth/api_access.html",
        user=user,
        tokens=token_rows(user),
        ttl_minutes=bank().settings.token_ttl_seconds // 60,
    )


@bp.post("/profile/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str) -> Response:
    user = signed_in()
    if len(token_id) != TOKEN_ID_CHARS or token_id not in {r["id"] for r in token_rows(user)}:
        abort(404)  # not one of this person's tokens
    tokens.revoke_own_token(bank(), user, token_id, ip=client_ip())
    flash(f"API token {token_id} is revoked.", "success")
    return redirect(url_for("auth.api_access"))
