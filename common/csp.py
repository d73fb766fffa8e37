"""Content-Security-Policy: django-csp's strict site-wide default (settings.CONTENT_SECURITY_POLICY)
plus, per page, only the sources that page needs.

Every response gets the default: no inline script or style, no eval, nothing from another origin,
never framed. The web apps add what they need with `csp_sources` (the map tiles' origin, their
own WebSocket, media); the admin's pages get the tiles' origin for their map widget through
`CSPMiddleware`, since the admin's views are Django's and take no decorator of ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp import middleware as csp_middleware
from csp.decorators import csp_update
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

_HOST_SOURCE = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")

View = Callable[..., HttpResponseBase]


def tiles_source(tiles_url: str) -> str | None:
    """The CSP source expression that lets a page load `tiles_url`'s images.

    None when the tiles come from this site (a relative URL). A subdomain template such as
    `https://{a-c}.tiles.example.org/…` becomes `https://*.tiles.example.org`.
    """
    parts = urlsplit(tiles_url)
    if not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    host = re.sub(r"^\{[^}]*\}\.", "*.", host)
    if not _HOST_SOURCE.match(host):
        # Set by whoever deploys, never by a visitor; refuse rather than write it into a header.
        raise ImproperlyConfigured(f"VIGIE_MAP_TILES_URL has an unusable host: {tiles_url!r}")
    return f"{parts.scheme}://{host}" if parts.scheme else host


def page_sources(
    request: HttpRequest,
    *,
    tiles: bool = False,
    socket: bool = False,
    media: tuple[str, ...] = (),
) -> dict[str, list[str]]:
    """What a page adds to the default policy, worked out for this request.

    `tiles`: the images of VIGIE_MAP_TILES_URL (nothing when they come from this site).
    `socket`: the page's own WebSocket origin. CSP 3 lets 'self' cover ws(s): but older engines
    do not, so the host the page was asked for (already checked against ALLOWED_HOSTS) is named.
    `media`: sources for video and audio (none by default).
    """
    sources: dict[str, list[str]] = {}
    if tiles:
        source = tiles_source(settings.VIGIE_MAP_TILES_URL)
        if source:
            sources["img-src"] = [source]
    if socket:
        scheme = "wss" if request.is_secure() else "ws"
        sources["connect-src"] = [f"{scheme}://{request.get_host()}"]
    if media:
        sources["media-src"] = list(media)
    return sources


def csp_sources(
    *, tiles: bool = False, socket: bool = False, media: tuple[str, ...] = ()
) -> Callable[[View], View]:
    """A view decorator: django-csp's `csp_update` with this page's sources (`page_sources`).

    The sources depend on the request (its host, http or https) and on settings that tests
    change, so the update is built per request rather than once at import.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            update = page_sources(request, tiles=tiles, socket=socket, media=media)
            return csp_update(update)(view)(request, *args, **kwargs)

        return wrapped

    return decorator


def content_security_policy(
    tiles_url: str,
    *,
    connect: tuple[str, ...] = (),
    media: tuple[str, ...] = (),
) -> str:
    """The header a page gets: the default policy, the tile server for images, plus `connect`
    sources (a WebSocket origin) and `media` sources (video, audio). For tests and tools: views
    use `csp_sources`, and the middleware writes the header."""
    update: dict[str, list[str]] = {}
    tiles = tiles_source(tiles_url)
    if tiles:
        update["img-src"] = [tiles]
    if connect:
        update["connect-src"] = list(connect)
    if media:
        update["media-src"] = list(media)
    return build_policy(update=update)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware; the admin's pages may also load the map tiles, for the map
    widget of geometry fields (a centre's jurisdiction, a camera's or a device's place)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> csp_middleware.PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if report_only or parts.update is not None or match is None:
            return parts
        if "admin" in match.app_names:  # whatever the admin site's name (OTPAdminSite's too)
            source = tiles_source(settings.VIGIE_MAP_TILES_URL)
            if source:
                parts.update = {"img-src": [source]}
        return parts
