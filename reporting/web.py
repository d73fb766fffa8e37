"""The resident web app (`/app/`): one page whose script and styles are static files.

The page only talks to the public API (API.md) with an app token, like the mobile apps; this
view renders the shell and the few settings the script needs, under a Content-Security-Policy
that allows no inline script or style and no other origin than the map tiles'.
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

from accounts.models import PUBLIC_ROLES, MonitoringCentre
from common.csp import csp_sources
from common.pages import page_language

# Where the map opens before the first position fix (or when geolocation is refused) if no
# centre exists yet: mainland France, as the admin's map widget does.
FRANCE = (-5.2, 41.3, 9.6, 51.1)
# A position known worse than this asks the person to drag the pin to the exact place.
POOR_ACCURACY_M = 100
# The accuracy sent when the person placed the pin themselves.
PLACED_ACCURACY_M = 5


def _default_extent() -> list[float]:
    """The area every centre covers: where a resident of this deployment is likely to be."""
    extent = MonitoringCentre.objects.aggregate(extent=Extent("jurisdiction"))["extent"]
    return list(extent or FRANCE)


def app_config(request: HttpRequest) -> dict[str, Any]:
    """What the script needs, rendered as a JSON data block (never as code)."""
    return {
        "language": page_language(request),
        "timeZone": settings.TIME_ZONE,
        "tilesUrl": settings.VIGIE_MAP_TILES_URL,
        "tilesAttribution": "openstreetmap.org" in urlsplit(settings.VIGIE_MAP_TILES_URL).netloc,
        "defaultExtent": _default_extent(),
        "poorAccuracyM": POOR_ACCURACY_M,
        "placedAccuracyM": PLACED_ACCURACY_M,
        "maxAccuracyM": settings.VIGIE_MAX_ACCURACY_M,
        "maxFiles": settings.VIGIE_MEDIA_MAX_FILES,
        "maxFileBytes": settings.VIGIE_MEDIA_MAX_BYTES,
        "descriptionMax": settings.VIGIE_REPORT_DESCRIPTION_MAX,
        "memberRoles": sorted(PUBLIC_ROLES),
        "api": {
            "token": reverse("auth-token"),
            "categories": reverse("categories"),
            "reports": reverse("reports"),
            "broadcasts": reverse("broadcasts"),
            "me": reverse("me"),
            "export": reverse("me-export"),
        },
    }


@require_safe
@csp_sources(tiles=True)
def resident_app(request: HttpRequest) -> HttpResponse:
    config = app_config(request)
    response = render(request, "resident/app.html", {"config": config})
    response["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=()"
    response["Cache-Control"] = "no-cache"
    return response
