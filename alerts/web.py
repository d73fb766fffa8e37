"""The shop's alert-button page (`/shop/`). Placeholder until the page lands (issue 6)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def alert_button_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")
