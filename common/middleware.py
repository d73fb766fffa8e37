"""Errors on API paths keep the contract's shape even where Django answers by itself, and
request bodies are sized and their nesting measured before anything parses them."""

from __future__ import annotations

import os
from collections.abc import Callable
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from common.errors import error_body, wants_json
from common.parsers import check_depth

_ANSWERS = {
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
}


class ContractErrorsMiddleware:
    """Django's DEBUG 404 page and `require_http_methods`' empty 405 become the contract's JSON
    on API paths; DRF's own errors, already JSON, pass untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        answer = _ANSWERS.get(response.status_code)
        if (
            answer is None
            or isinstance(response, Response)  # DRF's, already in the contract (or Open311's)
            or not wants_json(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        replaced = JsonResponse(error_body(*answer), status=response.status_code)
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced


_BODY_PATHS = ("/api/", "/open311/")
_MULTIPART_OVERHEAD = 1024 * 1024  # field names, boundaries and the form fields beside the files


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """The refusal in the shape its caller reads: the contract's, or on the Open311 façade the
    GeoReport v2 list of errors, in the format its path asks for (reporting/open311.py)."""
    if not request.path.startswith("/open311/"):
        return JsonResponse(error_body(code, message), status=status)
    if request.path.endswith(".xml"):
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<errors><error>'
            f"<code>{status}</code><description>{escape(message)}</description>"
            "</error></errors>"
        )
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse([{"code": status, "description": message}], status=status, safe=False)


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"The request body is too large; the limit is {limit} bytes."
    return _refuse(request, 413, "too_large", message)


class BodyLimitsMiddleware:
    """Refuse an oversized or absurdly nested body before a parser or a signature check reads
    it (the device endpoints hash the raw body, DRF's JSON parser reads the stream without
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE check).

    JSON anywhere, and every non-file body on the API, may hold `VIGIE_JSON_MAX_BYTES` (or
    DATA_UPLOAD_MAX_MEMORY_SIZE when smaller); a multipart body on the API what its files may
    weigh together. The declared Content-Length is checked first; a chunked body has none, and
    under ASGI it is already spooled, so its real size is measured instead. JSON nested deeper
    than `VIGIE_JSON_MAX_DEPTH` is a 400 found by a linear scan of its brackets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.META.get("CONTENT_TYPE", "")
        is_json = _is_json(content_type)
        on_api = request.path.startswith(_BODY_PATHS)
        if not (is_json or on_api):
            return None  # the admin's forms: Django's own limits apply
        if content_type.lower().startswith("multipart/"):
            limit = (
                settings.VIGIE_MEDIA_MAX_FILES * settings.VIGIE_MEDIA_MAX_BYTES
                + _MULTIPART_OVERHEAD
            )
        else:
            limit = settings.VIGIE_JSON_MAX_BYTES
            if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
                limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(request, 400, "malformed", "Bad Content-Length.")
        if declared > limit or _spooled_size(request) > limit:
            return _too_large(request, limit)
        if is_json:
            try:
                check_depth(request.body)
            except ParseError as exc:
                return _refuse(request, 400, "malformed", str(exc.detail))
        return None


def _spooled_size(request: HttpRequest) -> int:
    """The bytes already received, when the server spooled the body (ASGI); 0 otherwise."""
    stream = getattr(request, "_stream", None)
    if stream is None or getattr(request, "_read_started", True):
        return 0
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        return 0
    position = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(position)
    return size
