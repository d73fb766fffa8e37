"""Content-Security-Policy for the web apps: no inline script or style, no other origin than the
map tiles' (and, for the console, its own WebSocket).

Shared by the resident app (reporting/web.py) and the operator console (live/web.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_HOST_SOURCE = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")


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


def content_security_policy(
    tiles_url: str,
    *,
    connect: tuple[str, ...] = (),
    media: tuple[str, ...] = (),
) -> str:
    """The header's value: `'self'` for everything the page needs, the tile server for images,
    plus `connect` sources (a WebSocket origin) and `media` sources (video, audio)."""
    images = ["'self'", "data:", "blob:"]
    tiles = tiles_source(tiles_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "connect-src": ["'self'", *connect],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if media:
        directives["media-src"] = list(media)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
