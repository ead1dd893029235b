"""Devices, as the security notices and the security page name them.

A device is a browser that keeps our device cookie: a random value, long-lived, sent only
to us (HttpOnly, SameSite=Lax), set at the first sign-up or login that lacks it. Its name
is a short hash of the value ("br-..."); the value itself is stored nowhere. A fingerprint
of the User-Agent would not do: every browser update changes it (a "new device" notice on
each update), and every user of the same browser version shares it. Clearing cookies or a
private window makes a new device, which is the cautious answer.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from flask import after_this_request, current_app, g, request
from werkzeug.wrappers import Response

COOKIE = "fb_device"
MAX_AGE = 2 * 365 * 24 * 3600  # two years, renewed at each login
_VALUE = re.compile(r"[A-Za-z0-9_-]{20,64}")
AGENT_MAX = 300


def browser() -> str:
    """This browser's device name, giving it a device cookie first if it has none (once per
    request, however often it is asked)."""
    if "browser" not in g:
        g.browser = _browser()
    return str(g.browser)


def _browser() -> str:
    value = request.cookies.get(COOKIE, "")
    if not _VALUE.fullmatch(value):
        value = secrets.token_urlsafe(24)
    chosen = value

    @after_this_request
    def keep(response: Response) -> Response:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
        return response

    return "br-" + hashlib.sha256(value.encode()).hexdigest()[:16]


def user_agent() -> str:
    return request.headers.get("User-Agent", "")[:AGENT_MAX]


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe(agent: str) -> str:
    """ "Firefox on Windows": approximate, from the User-Agent, for people to recognise
    their own devices; "unknown browser" when it says nothing we know."""
    name = next((label for mark, label in _BROWSERS if mark in agent), "")
    system = next((label for mark, label in _SYSTEMS if mark in agent), "")
    if name and system:
        return f"{name} on {system}"
    return name or system or "unknown browser"
