"""The operator console (`/console/`): one page whose script and styles are static files.

The page signs in with a session (POST /api/v1/auth/session/), follows its centres over the
console WebSocket (live/consumers.py) and reads and acts through the public API. This view
renders the shell and the few settings the script needs, under a Content-Security-Policy that
allows no inline script or style and no other origin than the map tiles' and its own socket.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.models import MonitoringCentre
from common.csp import csp_sources
from common.pages import page_language
from live.queries import console_centre_ids

# Where the map opens when no centre exists yet: mainland France.
FRANCE = (-5.2, 41.3, 9.6, 51.1)
# A console that hears nothing (not even the server's ping, every 15 s) for this long treats
# its connection as dead and opens another (API.md, "Live console").
SILENCE_MS = 30_000
RECONNECT_FIRST_MS = 500
RECONNECT_MAX_MS = 15_000


def _signed_in(request: HttpRequest) -> dict[str, Any] | None:
    """Who the page is for, when the session belongs to someone who may watch a console."""
    user = request.user
    if not user.is_authenticated:
        return None
    centre_ids = console_centre_ids(user)
    if not centre_ids:
        return None
    centres = MonitoringCentre.objects.filter(pk__in=centre_ids).order_by("pk")
    return {
        "username": user.username,
        "role": user.role,
        "centres": [{"id": c.pk, "slug": c.slug, "name": c.name} for c in centres],
    }


def _extent(centre_ids: list[int] | None) -> list[float]:
    """The area the operator's centres cover (every centre's before sign-in)."""
    centres = MonitoringCentre.objects.all()
    if centre_ids:
        centres = centres.filter(pk__in=centre_ids)
    extent = centres.aggregate(extent=Extent("jurisdiction"))["extent"]
    return list(extent or FRANCE)


def console_config(request: HttpRequest) -> dict[str, Any]:
    """What the script needs, rendered as a JSON data block (never as code)."""
    user = _signed_in(request)
    return {
        "language": page_language(request),
        "timeZone": settings.TIME_ZONE,
        "tilesUrl": settings.VIGIE_MAP_TILES_URL,
        "tilesAttribution": "openstreetmap.org" in urlsplit(settings.VIGIE_MAP_TILES_URL).netloc,
        "defaultExtent": _extent([c["id"] for c in user["centres"]] if user else None),
        "user": user,
        "socketPath": "/ws/console/",
        "silenceMs": SILENCE_MS,
        "reconnectFirstMs": RECONNECT_FIRST_MS,
        "reconnectMaxMs": RECONNECT_MAX_MS,
        "api": {
            "session": reverse("auth-session"),
            "categories": reverse("categories"),
            "reports": reverse("reports"),
            "cameras": reverse("cameras"),
            "devices": reverse("devices"),
            # Dispatch: the units, and the interventions (suggestions and moves hang below
            # "reports" and "interventions").
            "units": reverse("units"),
            "interventions": reverse("interventions"),
        },
    }


@require_safe
# The map's tiles, its own socket, and the reports' videos and recordings (served by the API).
@csp_sources(tiles=True, socket=True, media=("'self'",))
def console_page(request: HttpRequest) -> HttpResponse:
    config = console_config(request)
    response = render(request, "console/console.html", {"config": config})
    response["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    response["Cache-Control"] = "no-cache, private"
    return response
