"""The shop's alert-button page (`/shop/`): one big button, on a phone, that nothing can slow.

Like the resident web app (reporting/web.py) the page only talks to the public API with an
app token (POST /api/v1/auth/token/, business accounts only), and this view renders the shell
and the few settings the script needs, under a Content-Security-Policy that allows no inline
script or style and no other origin at all: the page has no map, so it works without tiles.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from alerts.services import PIN_LENGTHS
from common.pages import page_language

# The second tap ("Confirmer") must come within this long after the first, else the button
# goes back to rest: two taps on two different places, so a pocket does not send an alert.
CONFIRM_MS = 5_000
# How often the page asks where its alert stands (GET /api/v1/alerts/{report}/).
POLL_MS = 3_000
# A position is sent with the press only if the browser had it this soon after the first tap,
# this precise; the press itself never waits for it.
GEOLOCATION_WAIT_MS = 2_000
GEOLOCATION_ACCURACY_M = 100
# A press that meets a network failure is sent again (same Idempotency-Key) after these waits.
PRESS_RETRY_MS = (1_000, 2_000, 4_000, 8_000)
# A press the page could not send before a reload is sent on load if it is this recent.
PENDING_PRESS_S = 300
# On load, the latest alert still in progress is shown again if it is this recent.
RESUME_WITHIN_S = 12 * 3600


def button_config(request: HttpRequest) -> dict[str, Any]:
    """What the script needs, rendered as a JSON data block (never as code)."""
    return {
        "language": page_language(request),
        "timeZone": settings.TIME_ZONE,
        # The page measures its clock against the server's to count the cancel window down.
        "serverNow": timezone.now().isoformat(),
        "confirmMs": CONFIRM_MS,
        "pollMs": POLL_MS,
        "geolocationWaitMs": GEOLOCATION_WAIT_MS,
        "geolocationAccuracyM": GEOLOCATION_ACCURACY_M,
        "pressRetryMs": list(PRESS_RETRY_MS),
        "pendingPressS": PENDING_PRESS_S,
        "resumeWithinS": RESUME_WITHIN_S,
        "cancelWindowS": settings.VIGIE_ALERT_CANCEL_WINDOW_S,
        "pinLengths": [min(PIN_LENGTHS), max(PIN_LENGTHS)],
        "api": {
            "token": reverse("auth-token"),
            "press": reverse("alert-press"),
            "alerts": reverse("alerts"),
            "alert": reverse("alert", kwargs={"report_id": 0}).replace("/0/", "/{report}/"),
            "cancel": reverse("alert-cancel"),
            "pins": reverse("alert-pins"),
        },
    }


@require_safe
def alert_button_page(request: HttpRequest) -> HttpResponse:
    config = button_config(request)
    response = render(request, "alerts/button.html", {"config": config})
    response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    response["Cache-Control"] = "no-cache"
    return response
