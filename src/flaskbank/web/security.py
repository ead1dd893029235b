"""Request-level defences: security headers on every response, and trusting a reverse
proxy's forwarded headers only when told to. Rate limits are in ratelimits.py."""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Config

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"
_HEADERS = tuple((name.lower(), name, value) for name, value in HEADERS.items())


def add_headers(response: Response) -> Response:
    """Each header the view did not set itself (one pass over the response's headers, where
    a setdefault each was a pass each)."""
    present = {name.lower() for name, _ in response.headers}
    for lowered, name, value in _HEADERS:
        if lowered not in present:
            response.headers.add(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask, config: Config) -> None:
    if config.proxy_hops:
        # Only behind proxies we run: otherwise anyone could pick their address and scheme.
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.after_request(add_headers)
