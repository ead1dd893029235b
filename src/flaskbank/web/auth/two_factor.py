"""Two-factor authentication on the profile: enrolment with a QR code and a confirmation
code, the recovery codes shown once, and turning it off (customers only)."""

from __future__ import annotations

from typing import Any

import segno
from flask import flash, redirect, render_template, session, url_for

from ...domain.errors import BankError
from ...services import two_factor
from ..context import bank, client_ip, login_required, signed_in
from . import bp
from .forms import DisableTwoFactorForm, EnrolForm

#: The secret being enrolled lives in the (server-side) session until it is confirmed.
ENROLLING = "enrolling_totp_secret"


def _enrolment(secret: str) -> dict[str, Any]:
    uri = two_factor.provisioning_uri(signed_in(), secret)
    # A data: URI image: allowed by the CSP (img-src 'self' data:), no inline markup needed.
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": qr, "secret": grouped}


@bp.route("/profile/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def two_factor_page() -> Any:
    user = signed_in()
    if user.has_two_factor:
        form = DisableTwoFactorForm()
        return form.page("auth/two_factor.html", user=user)
    secret = session.get(ENROLLING)
    if not isinstance(secret, str):
        secret = session[ENROLLING] = two_factor.new_secret()
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(bank(), user, secret, form.code.data, client_ip())
        except BankError as error:
            return form.refused(error, "auth/two_factor.html", user=user, **_enrolment(secret))
        session.pop(ENROLLING, None)
        # Shown once, in this answer only (never stored in clear, never cached).
        return render_template("auth/recovery_codes.html", codes=codes)
    return form.page("auth/two_factor.html", user=user, **_enrolment(secret))


@bp.post("/profile/two-factor/disable")
@login_required
def disable_two_factor() -> Any:
    user = signed_in()
    form = DisableTwoFactorForm()
    if user.has_two_factor and form.validate_on_submit():
        try:
            # Staff are refused here (NotPermitted, a 403 page): they must keep it.
            two_factor.disable(bank(), user, password=form.password.data, ip=client_ip())
        except BankError as error:
            return form.refused(error, "auth/two_factor.html", user=user)
        flash("Two-factor authentication is off.", "success")
    return redirect(url_for("auth.two_factor"))
