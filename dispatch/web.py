"""The police app (`/police/`). Placeholder until the page lands (issue 7)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def police_app(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")
