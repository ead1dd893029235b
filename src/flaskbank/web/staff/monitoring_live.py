"""The live view of the analysts' workspace (fraud_analyst and admin): postings and alerts
per minute, the top rules and the latest screened postings.

Polled, not pushed: static/monitoring.js asks live.json once a second. Each poll is one
short request that, past the session check, reads one key (the live board), so an open
dashboard never holds a worker the way a server-sent-events stream would; and the page works
without JavaScript too, since the server renders the first snapshot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, jsonify, render_template, url_for

from ...domain.ledger import parse_utc_iso
from ...domain.security import Permission
from ...services.monitoring import consumer, live
from ..context import bank
from . import bp
from .policy import requires, staff_user

MONITOR = Permission.MONITOR_TRANSACTIONS
CHART_MINUTES = 30


@bp.app_template_filter("age")
def age(created_at: str) -> str:
    """How long ago, by the bank's clock, in the largest whole unit: "4 min ago"."""
    seconds = (bank().clock() - parse_utc_iso(created_at)).total_seconds()
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def _snapshot() -> dict[str, Any]:
    """The live board, each screened posting that opened an alert linked to it."""
    snapshot = live.snapshot(bank(), staff_user(), minutes=CHART_MINUTES)
    for item in snapshot["latest"]:
        opened = item.get("decision") != "approve" and item.get("transaction_id")
        item["alert_url"] = (
            url_for(".alert", alert_id=consumer.alert_id(str(item["transaction_id"])))
            if opened
            else None
        )
    return snapshot


def chart(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The last CHART_MINUTES minutes up to the snapshot, quiet ones as zeros (the board
    keeps only minutes that saw a posting); static/monitoring.js draws the same."""
    counts = {m["minute"]: m for m in snapshot["minutes"]}
    end = datetime.strptime(snapshot["as_of"][:16], "%Y-%m-%dT%H:%M")
    out = []
    for back in range(CHART_MINUTES - 1, -1, -1):
        key = (end - timedelta(minutes=back)).strftime("%Y-%m-%dT%H:%M")
        seen = counts.get(key, {})
        out.append(
            {"minute": key, "postings": seen.get("postings", 0), "alerts": seen.get("alerts", 0)}
        )
    return out


@bp.get("/monitoring")
@requires(MONITOR)
def monitoring() -> str:
    snapshot = _snapshot()
    return render_template("staff/monitoring/live.html", snapshot=snapshot, minutes=chart(snapshot))


@bp.get("/monitoring/live.json")
@requires(MONITOR)
def monitoring_live() -> Response:
    """What monitoring.js redraws the live view from, once a second."""
    return jsonify(_snapshot())
