"""Domain errors with stable codes, and the one handler that renders every API error.

The contract's shape is `{"error": {"code", "message", "fields"}}` with the right status
(API.md, Conventions). Services raise `DomainError` subclasses; DRF's own exceptions and
Django's 404/413 are translated here, so no view formats an error by hand.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, JsonResponse
from django.views import csrf, defaults
from rest_framework import exceptions, status
from rest_framework.response import Response


class DomainError(Exception):
    """A rule of the domain was broken; `code` is stable and documented for clients."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "rule_broken"
    message = "The request breaks a rule."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    message = "Some fields are invalid."


class NotAllowed(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    message = "You are not allowed to do this."


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "This conflicts with the current state."


class IllegalTransition(Conflict):
    code = "illegal_transition"


class RuleBroken(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_messages(detail: Any) -> dict[str, Any]:
    """Flatten DRF's nested ErrorDetail structure into field -> list of messages."""
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {}


def _messages(detail: Any) -> Any:
    if isinstance(detail, list):
        flat: list[Any] = []
        for item in detail:
            value = _messages(item)
            flat.extend(value if isinstance(value, list) else [value])
        return flat
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return str(detail)


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_code(next(iter(detail.values())))
    return getattr(detail, "code", None)


_CODES = {
    exceptions.ParseError: "malformed",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _render_validation_error(exc: exceptions.ValidationError) -> tuple[str, str, dict[str, Any]]:
    detail = exc.detail
    if isinstance(detail, dict):
        non_field = detail.get("non_field_errors")
        fields = _field_messages({k: v for k, v in detail.items() if k != "non_field_errors"})
        if non_field and not fields:
            return _first_code(non_field) or "invalid", str(_messages(non_field)[0]), {}
        return "invalid", "Some fields are invalid.", fields
    messages = _messages(detail)
    message = messages[0] if isinstance(messages, list) and messages else str(messages)
    return _first_code(detail) or "invalid", message, {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER. Returns None (a real 500) only for programming errors."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.fields),
            status=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent):
        return Response(error_body("malformed", "Too many fields."), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    if isinstance(exc, exceptions.ValidationError):
        code, message, fields = _render_validation_error(exc)
    else:
        known = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), None)
        code = known or _first_code(exc.detail) or "error"
        message, fields = str(_messages(exc.detail)), {}
        if isinstance(exc, exceptions.Throttled):
            headers["Retry-After"] = str(max(math.ceil(exc.wait or 1), 1))
            message = f"Too many requests; try again in {headers['Retry-After']} s."
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/open311/", "/healthz")) or (
        "application/json" in request.headers.get("Accept", "")
    )


def _json_or_page(status_code: int, code: str, message: str, page: Any) -> Any:
    """A Django error view: the contract's JSON on API paths, Django's own page elsewhere."""

    def view(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> Any:
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(
                error_body("too_large", "The request body is too large."), status=413
            )
        if not wants_json(request):
            return page(request, exception, **kwargs) if exception is not None else page(request)
        return JsonResponse(error_body(code, message), status=status_code)

    return view


not_found_view = _json_or_page(404, "not_found", "Not found.", defaults.page_not_found)
bad_request_view = _json_or_page(400, "bad_request", "Bad request.", defaults.bad_request)
permission_denied_view = _json_or_page(
    403, "permission_denied", "Permission denied.", defaults.permission_denied
)


def server_error_view(request: HttpRequest) -> Any:
    if not wants_json(request):
        return defaults.server_error(request)
    return JsonResponse(
        error_body("server_error", "Internal error; it has been logged."), status=500
    )


def csrf_failure_view(request: HttpRequest, reason: str = "") -> Any:
    if not wants_json(request):
        return csrf.csrf_failure(request, reason)
    return JsonResponse(error_body("csrf_failed", f"CSRF check failed: {reason}"), status=403)
