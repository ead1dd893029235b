"""Server-side browser sessions as a Flask SessionInterface over services/sessions.py.

The cookie carries only a random id; the user, the CSRF token, flashes and a pending login
live in the store, so logging out or changing the password ends a session at once, on every
worker. The services decide expiry (idle and absolute) and issue a new id whenever the user
changes; `regenerate` asks for a new id even when the user stays the same (a second login).

Requests under /api/ get an empty session that is never loaded nor saved: the API
authenticates by bearer token only.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SessionInterface
from flask.wrappers import Response

from ..domain.security import WebSession
from ..services import sessions
from ..services.bank import Bank

#: The session key that holds the signed-in user's id (WebSession.user_id in the store).
USER_KEY = "user_id"


class StoreSession(SecureCookieSession):
    """The session's data, with what is needed to write it back: the cookie's id and the
    stored record it was loaded from (both None for a new visitor)."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        *,
        sid: str | None = None,
        record: WebSession | None = None,
    ) -> None:
        super().__init__(initial)
        self.sid = sid
        self.record = record
        self.regenerate = False

    def renew(self) -> None:
        """Issue a new id at the end of this request (login, second step), whoever the user."""
        self.regenerate = True
        self.modified = True


class StoreSessionInterface(SessionInterface):
    """Sessions kept in the bank's store: the cookie carries only a random id."""

    def __init__(self, bank_of: Any) -> None:
        self._bank_of = bank_of

    def _bank(self, app: Flask) -> Bank:
        return self._bank_of(app)  # type: ignore[no-any-return]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return StoreSession()
        sid = request.cookies.get(self.get_cookie_name(app))
        record = sessions.load(self._bank(app), sid)
        if record is None:
            return StoreSession()
        data = dict(record.data)
        if record.user_id is not None:
            data[USER_KEY] = record.user_id
        return StoreSession(data, sid=sid, record=record)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if session.record is None and session.sid is None and not session:
            return  # the API, or a visitor we stored nothing for
        bank = self._bank(app)
        name, domain, path = (
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
        )
        if not session:
            # Emptied (logged out): the record goes now, not when it would have expired.
            sessions.end(bank, session.record)
            self._forget(app, response)
            return
        if not (
            session.modified or session.record is None or sessions.needs_touch(bank, session.record)
        ):
            return
        data = {k: v for k, v in session.items() if k != USER_KEY}
        user_id = session.get(USER_KEY)
        previous, sid = session.record, session.sid
        if session.regenerate:
            sessions.end(bank, previous)
            previous = sid = None
        new_sid = sessions.save(bank, sid, user_id, data, previous)
        if new_sid is None:  # ended while this request ran: it stays ended
            self._forget(app, response)
            return
        response.vary.add("Cookie")
        if new_sid != session.sid:
            response.set_cookie(
                name,
                new_sid,
                domain=domain,
                path=path,
                secure=self.get_cookie_secure(app),
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )

    def _forget(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


def renew_session(session: Any) -> None:
    """Ask for a new session id at the end of the request."""
    if isinstance(session, StoreSession):
        session.renew()


def session_hash(session: Any) -> str | None:
    """The stored hash of this browser's session (None while it is new)."""
    if isinstance(session, StoreSession) and session.record is not None:
        return session.record.id_hash
    return None
