"""The statement as a PDF (web/statement_pdf.py): the same month, the same 404s as the page
and the CSV (another customer's account, a month outside the account's life)."""

from __future__ import annotations

from flask import Response, request

from ...services import history
from ..context import bank, login_required, signed_in
from ..statement_pdf import statement_pdf
from . import bp
from .forms import StatementForm


@bp.get("/accounts/<account_id>/statement.pdf")
@login_required
def statement_pdf_download(account_id: str) -> Response:
    user = signed_in()
    form = StatementForm(formdata=request.args)
    month = str(form.month.data or bank().now()[:7])
    found = history.statement(bank(), user.id, account_id, month)
    filename = f"statement-{found.account.number}-{found.month}.pdf"
    return Response(
        statement_pdf(found, user),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
