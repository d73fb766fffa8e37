"""What every server-rendered page shares."""

from __future__ import annotations

from django.http import HttpRequest


def page_language(request: HttpRequest) -> str:
    """ "en" or "fr": LocaleMiddleware chose from Accept-Language among settings.LANGUAGES;
    French otherwise."""
    language = getattr(request, "LANGUAGE_CODE", "") or ""
    return "en" if language.startswith("en") else "fr"
