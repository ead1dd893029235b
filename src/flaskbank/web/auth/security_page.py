"""The security page: where the customer is signed in (each browser session: when it began,
when it was last seen, the browser, "this device"), and "sign out everywhere else"."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from ...services import devices, recovery
from ..context import AGENT_KEY, bank, client_ip, login_required, signed_in
from ..devices import describe
from ..sessions import session_hash
from . import bp


@bp.get("/profile/security")
@login_required
def security() -> Any:
    user = signed_in()
    mine = session_hash(session)
    rows = [
        {
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "device": describe(str(s.data.get(AGENT_KEY, ""))),
            "agent": str(s.data.get(AGENT_KEY, "")),
            "this_device": s.id_hash == mine,
        }
        for s in devices.live_sessions(bank(), user)
    ]
    rows.sort(key=lambda r: not r["this_device"])  # this device first
    return render_template(
        "auth/security.html",
        user=user,
        sessions=rows,
        confirmed=recovery.email_confirmed(bank(), user),
    )


@bp.post("/profile/security/sign-out-others")
@login_required
def sign_out_others() -> Response:
    user = signed_in()
    ended = devices.sign_out_elsewhere(bank(), user, keep=session_hash(session), ip=client_ip())
    flash(
        f"You are signed out everywhere else ({ended} other session{'s' * (ended != 1)}).",
        "success",
    )
    return redirect(url_for("auth.security"))
