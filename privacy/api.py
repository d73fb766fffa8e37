"""Residents' rights API: `GET /api/v1/me/export/` and `DELETE /api/v1/me/` (issue 9, item 5).

Thin views over `privacy.rights`. Both take the app token (or a session) of a resident or a
business; staff are refused with a 403 (`staff_account`).
"""

from __future__ import annotations

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from privacy.rights import erase_member, export_member_data


def export_filename(username: str) -> str:
    """`vigie-<username>-<date>.json`, with only characters every browser and shell accept."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", username).strip(".") or "member"
    return f"vigie-{safe}-{timezone.localdate().isoformat()}.json"


class ExportView(APIView):
    """A resident's or a business's copy of everything Vigie holds about them, as a JSON file.

    Their account, vetting decisions (not who took them), reports with links to their media,
    notifications, broadcasts they were sent, push devices (token truncated), app tokens
    (dates only), alert devices (no secret) and the access trail of their data (roles, not
    names). The export is itself recorded in the access trail.
    """

    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="the export, as an attachment"
            ),
            403: OpenApiResponse(description="staff_account"),
        }
    )
    def get(self, request: Request) -> HttpResponse:
        data = export_member_data(request.user, request=request)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = export_filename(data["account"]["username"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # Personal data: never kept by a browser or a proxy.
        response["Cache-Control"] = "no-store"
        return response


class ErasureInput(serializers.Serializer):
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class _DeleteWithBody(AutoSchema):
    """drf-spectacular documents no body for a DELETE; this one has one (the password), and
    the published schema must say so (clients and schemathesis are built from it)."""

    def _get_request_body(self, direction: str = "request") -> dict | None:
        method = self.method
        self.method = "POST" if method == "DELETE" else method
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = method


class MeView(APIView):
    """`DELETE`: erase one's own account, confirmed with the current password."""

    schema = _DeleteWithBody()
    permission_classes = [IsAuthenticated]
    # The password is checked here: a stolen token must not be a way to guess it faster than
    # the sign-in form allows.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=ErasureInput,
        examples=[OpenApiExample("Erasure", value={"password": "…"}, request_only=True)],
        responses={
            204: None,
            400: OpenApiResponse(description="invalid (no password)"),
            403: OpenApiResponse(description="staff_account"),
            422: OpenApiResponse(description="wrong_password"),
        },
    )
    def delete(self, request: Request) -> Response:
        data = ErasureInput(data=request.data)
        data.is_valid(raise_exception=True)
        erase_member(request.user, password=data.validated_data["password"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
