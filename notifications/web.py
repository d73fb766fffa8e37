"""The supervisor's broadcast page (`/console/broadcast/`): one page whose script and styles are
static files.

The page shares the console's session: a supervisor signed in on the console arrives signed in;
anyone else signs in on the page itself (POST /api/v1/auth/session/, as the console does). It
draws the area on a map (a polygon, or a point and a radius), and sends and lists broadcasts
through the public API (POST and GET /api/v1/broadcasts/). This view renders the shell and the
few settings the script needs, under a Content-Security-Policy that allows no inline script or
style and no other origin than the map tiles'.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.models import MonitoringCentre, User
from common.csp import csp_sources
from common.pages import page_language
from notifications.api import BroadcastInput, CircleInput
from notifications.models import Severity

PERMISSION = "notifications.add_broadcast"
# Where the map opens when no centre exists yet: mainland France.
FRANCE = (-5.2, 41.3, 9.6, 51.1)
# The radius the page proposes for a new circle, in metres.
DEFAULT_RADIUS_M = 200
# How long a broadcast may be set to last, in hours, from the page's choice list.
DURATIONS_H = (1, 2, 3, 6, 12, 24, 48, 72, 168)


def broadcasting_centres(user: Any) -> list[MonitoringCentre]:
    """The centres this person may broadcast for: the ones they serve, if their role may
    broadcast at all (the API's rule: `notifications.add_broadcast`, among `user.centres`)."""
    if not user.is_authenticated or not user.has_perm(PERMISSION):
        return []
    return list(user.centres.order_by("pk"))


def _signed_in(user: User, centres: list[MonitoringCentre]) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "centres": [
            {
                "id": centre.pk,
                "slug": centre.slug,
                "name": centre.name,
                # The jurisdiction outline, drawn under the area as a guide.
                "outline": json.loads(centre.jurisdiction.geojson),
            }
            for centre in centres
        ],
    }


def _extent(centres: list[MonitoringCentre]) -> list[float]:
    """The area the supervisor's centres cover (every centre's before sign-in)."""
    found = MonitoringCentre.objects.all()
    if centres:
        found = found.filter(pk__in=[centre.pk for centre in centres])
    extent = found.aggregate(extent=Extent("jurisdiction"))["extent"]
    return list(extent or FRANCE)


def _limits() -> dict[str, Any]:
    """The API's own limits (notifications/api.py), so the form says what the server accepts."""
    fields, radius = BroadcastInput().fields, CircleInput().fields["radius_m"]
    return {
        "titleMax": fields["title"].max_length,
        "bodyMax": fields["body"].max_length,
        "areaDescriptionMax": fields["area_description"].max_length,
        "radiusMin": radius.min_value,
        "radiusMax": radius.max_value,
    }


def broadcast_config(
    request: HttpRequest, user: User | None, centres: list[MonitoringCentre]
) -> dict[str, Any]:
    """What the script needs, rendered as a JSON data block (never as code)."""
    return {
        "language": page_language(request),
        "timeZone": settings.TIME_ZONE,
        "tilesUrl": settings.VIGIE_MAP_TILES_URL,
        "tilesAttribution": "openstreetmap.org" in urlsplit(settings.VIGIE_MAP_TILES_URL).netloc,
        "defaultExtent": _extent(centres),
        "user": _signed_in(user, centres) if user is not None else None,
        # Signed in, but not as someone who may broadcast: the page says so and offers sign-in.
        "refused": user is None and request.user.is_authenticated,
        "severities": list(Severity.values),
        "defaultSeverity": Severity.MODERATE,
        "durationsH": list(DURATIONS_H),
        "defaultDurationH": settings.VIGIE_BROADCAST_HOURS,
        "defaultRadiusM": DEFAULT_RADIUS_M,
        **_limits(),
        "api": {
            "session": reverse("auth-session"),
            "broadcasts": reverse("broadcasts"),
        },
        "consoleUrl": reverse("console"),
    }


@require_safe
@csp_sources(tiles=True)
def broadcast_page(request: HttpRequest) -> HttpResponse:
    """The page for supervisors. Before sign-in it shows the sign-in form (200); signed in as
    someone who may not broadcast, the same form and a refusal (403)."""
    centres = broadcasting_centres(request.user)
    user = request.user if centres and isinstance(request.user, User) else None
    config = broadcast_config(request, user, centres)
    status = 403 if config["refused"] else 200
    response = render(request, "notifications/broadcast.html", {"config": config}, status=status)
    get_token(request)  # the CSRF cookie the script sends back with its POST
    response["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    response["Cache-Control"] = "no-cache, private"
    return response
