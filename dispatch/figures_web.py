"""Response-time figures as a page for the console (`/console/figures/`). Placeholder."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def response_times_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")
