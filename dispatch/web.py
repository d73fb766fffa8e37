"""The police app (`/police/`): one phone-sized page whose script and styles are static files.

Like the shop page (alerts/web.py) the page signs in with an app token (POST
/api/v1/auth/token/, police accounts only), reads and acts through the public API, and
follows its unit's dispatches over `/ws/police/` (dispatch/consumers.py), where it also sends
the unit's positions. This view renders the shell and the few settings the script needs,
under a Content-Security-Policy that allows no inline script or style and no other origin
than the page's own (and its WebSocket): no map, no tiles, no CDN. The navigation links open
the phone's own maps app (`geo:`) or OpenStreetMap's directions, as navigations.

Push notifications when the page is closed (FCM, through `notifications`) are not built yet.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from common.csp import csp_sources
from common.pages import page_language
from dispatch.consumers import PoliceConsumer
from dispatch.models import InterventionOutcome

# The server pings every `PoliceConsumer.ping_every_s`; a page that hears nothing for twice
# that long takes its socket for dead and opens another, after a growing, capped delay.
SILENCE_MS = int(PoliceConsumer.ping_every_s * 2 * 1000)
RECONNECT_FIRST_MS = 500
RECONNECT_MAX_MS = 15_000
# Position sharing: at most one fix every 5 s, and only when the unit moved more than 10 m or
# 30 s went by since the last one sent (so a parked car still says it is there).
POSITION_MIN_INTERVAL_MS = 5_000
POSITION_MIN_MOVE_M = 10
POSITION_MAX_SILENCE_MS = 30_000
# A socket action (a position) not answered this soon is sent again through the REST API.
ACTION_TIMEOUT_MS = 8_000


def _template(name: str, argument: str, placeholder: str) -> str:
    """A route with its id as a `{placeholder}` the script fills in."""
    return reverse(name, kwargs={argument: 0}).replace("/0/", f"/{{{placeholder}}}/")


def police_config(request: HttpRequest) -> dict[str, Any]:
    """What the script needs, rendered as a JSON data block (never as code)."""
    return {
        "language": page_language(request),
        "timeZone": settings.TIME_ZONE,
        # The page counts the time since dispatch in the server's time.
        "serverNow": timezone.now().isoformat(),
        "socketPath": "/ws/police/",
        "silenceMs": SILENCE_MS,
        "reconnectFirstMs": RECONNECT_FIRST_MS,
        "reconnectMaxMs": RECONNECT_MAX_MS,
        "actionTimeoutMs": ACTION_TIMEOUT_MS,
        "position": {
            "minIntervalMs": POSITION_MIN_INTERVAL_MS,
            "minMoveM": POSITION_MIN_MOVE_M,
            "maxSilenceMs": POSITION_MAX_SILENCE_MS,
            "maxAccuracyM": settings.VIGIE_MAX_ACCURACY_M,
        },
        "outcomes": list(InterventionOutcome.values),
        "api": {
            "token": reverse("auth-token"),
            "categories": reverse("categories"),
            "units": reverse("units"),
            "unitPosition": _template("unit-position", "unit_id", "unit"),
            "unitStatus": _template("unit-status", "unit_id", "unit"),
            "interventions": reverse("interventions"),
            "transition": _template("intervention-transition", "intervention_id", "intervention"),
            "report": _template("report", "report_id", "report"),
        },
    }


@require_safe
# Its own socket; photos, snapshots and recordings are read with the token and shown from blob:
# URLs. No map, so no tiles.
@csp_sources(socket=True, media=("'self'", "blob:"))
def police_app(request: HttpRequest) -> HttpResponse:
    config = police_config(request)
    response = render(request, "police/app.html", {"config": config})
    response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    response["Cache-Control"] = "no-cache"
    return response
