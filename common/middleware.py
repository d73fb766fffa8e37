"""Errors on API paths keep the contract's shape even where Django answers by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.response import Response

from common.errors import error_body, wants_json

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
