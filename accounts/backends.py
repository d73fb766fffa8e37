"""Authentication backends (settings.AUTHENTICATION_BACKENDS)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, first in line: a locked-out username+address is refused before its
    password is looked at.

    Every sign-in door passes its request. A call without one (a script, Django's test
    `Client.login`, `changepassword`) has no address to count by and is no door from outside,
    so it is let through to the next backend instead of raising as axes' own backend does.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
