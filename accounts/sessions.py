"""How long a staff session lasts: one shift at most, and not beyond a spell left idle.

Two limits, both kept in the session itself so every process (the WSGI API, daphne's
consumers) reads the same answer from `session_lapsed`:

- `SESSION_COOKIE_AGE` (one shift) counts from the sign-in (`SIGNED_IN_AT`), whatever the use:
  Django alone would push the end back every time the session is saved.
- `VIGIE_SESSION_IDLE_MINUTES` counts from the last request (`SEEN_AT`). The console watches
  its WebSocket without any HTTP, so the page sends a keep-alive (`GET /api/v1/auth/session/`)
  when someone uses it; a console nobody touches for that long is signed out.

`SEEN_AT` is written at most once a minute, so a busy console does not save its session on
every call (SESSION_SAVE_EVERY_REQUEST stays off).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "vigie_signed_in_at"  # Unix seconds
SEEN_AT = "vigie_seen_at"  # Unix seconds, to the minute
_TOUCH_EVERY_S = 60


def start_session_clock(session: Any, *, now: float | None = None) -> None:
    """Call right after `login()`: both limits start now."""
    moment = int(now if now is not None else time.time())
    session[SIGNED_IN_AT] = moment
    session[SEEN_AT] = moment


def session_lapsed(session: Any, *, now: float | None = None) -> str | None:
    """Why this signed-in session is over ("idle" or "shift_over"), or None while it is good.

    Only the sign-in doors (the session API, the admin) start the clock. A session without
    one (a test's `Client.force_login`) is left to Django's own expiry: starting its clock
    here would cost a session write on a request that otherwise makes none.
    """
    moment = now if now is not None else time.time()
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is not None and moment - signed_in_at > settings.SESSION_COOKIE_AGE:
        return "shift_over"
    seen_at = session.get(SEEN_AT)
    if seen_at is not None and moment - seen_at > settings.VIGIE_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class IdleSessionMiddleware:
    """Sign out a session past either limit before the view runs (the API then answers 401),
    and note activity on the others. Goes after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = time.time()
            reason = session_lapsed(session, now=now)
            if reason is not None:
                _end(request, reason)
            elif SEEN_AT in session and now - session[SEEN_AT] >= _TOUCH_EVERY_S:
                session[SEEN_AT] = int(now)
        return self.get_response(request)


def _end(request: HttpRequest, reason: str) -> None:
    # Imported here so the consumers can import `session_lapsed` before the apps are ready.
    from audit.models import Action
    from audit.services import record

    user = request.user
    if user.is_authenticated:
        record(actor=user, action=Action.LOGOUT, detail={"reason": reason}, request=request)
    logout(request)
