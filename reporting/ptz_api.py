"""`POST /api/v1/cameras/{id}/point/` (API.md, "Cameras"): turn a PTZ camera toward a report
or a place. Operators only, on the cameras of the centres they serve; the geometry, the
drivers and the record are in `cameras.ptz` and `cameras.drivers`.

Not wrapped in `Idempotency-Key` handling on purpose: that wrapper holds a transaction around
the view, and the camera must be called with none open (STYLE.md rule 4). Pointing is an
absolute move, so a retried order puts the camera where the first one did.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from cameras.models import PtzCommand
from cameras.ptz import point_camera
from cameras.queries import cameras_visible_to
from common.errors import NotFound
from common.geojson import PointField
from reporting.queries import report_for_user


class PointInput(serializers.Serializer):
    report = serializers.IntegerField(required=False, help_text="Point at this report's location.")
    location = PointField(required=False, help_text="Or at this place.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("report" in data) == ("location" in data):
            raise serializers.ValidationError(
                "Send either 'report' (an id) or 'location' (a GeoJSON Point), not both.",
                code="invalid",
            )
        return data


class PointOutput(serializers.Serializer):
    command = serializers.IntegerField(help_text="The PtzCommand recording this order.")
    pan_deg = serializers.FloatField(help_text="Relative to the camera's pan zero, clamped.")
    tilt_deg = serializers.FloatField(help_text="Negative looks down, clamped.")
    zoom = serializers.FloatField(help_text="Magnification, 1 to the camera's zoom_max.")
    driver = serializers.CharField()
    status = serializers.CharField(help_text="'sent' once the camera accepted the order.")
    clamped = serializers.BooleanField(
        help_text="Pan or tilt hit the camera's limits: the target is off-centre or unseen."
    )
    beyond_range = serializers.BooleanField(
        help_text="The target is farther than the camera's range_m (pointed at all the same)."
    )
    distance_m = serializers.FloatField()
    bearing_deg = serializers.FloatField(help_text="From the camera, clockwise from north.")


_ERROR = inline_serializer(
    "ApiError",
    fields={
        "error": inline_serializer(
            "ApiErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(),
            },
        )
    },
)


def _error(description: str, code: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=_ERROR,
        description=description,
        examples=[
            OpenApiExample(code, value={"error": {"code": code, "message": message, "fields": {}}})
        ],
    )


def point_payload(command: PtzCommand) -> dict[str, Any]:
    aim = command.aim  # type: ignore[attr-defined]
    return {
        "command": command.pk,
        "pan_deg": command.pan_deg,
        "tilt_deg": command.tilt_deg,
        "zoom": command.zoom,
        "driver": command.driver,
        "status": command.status,
        "clamped": aim.clamped,
        "beyond_range": aim.beyond_range,
        "distance_m": aim.distance_m,
        "bearing_deg": aim.bearing_deg,
    }


class PointCamera(APIView):
    permission_classes = [IsAuthenticated, requires("reporting.triage_report")]

    @extend_schema(
        summary="Point a PTZ camera at a report or a place",
        description=(
            "Computes pan (bearing less the camera's pan zero), tilt (from its mounting height "
            "and the ground distance) and a zoom that frames a person, clamps them to the "
            "camera's limits and sends them through its driver (simulated or ONVIF). Every "
            "order is recorded, including failed ones. Domes are not motorised in Vigie's "
            "registry (they see all round) and are refused like fixed cameras. A target "
            "beyond the camera's range is still pointed at, with beyond_range true. The "
            "camera is given at most VIGIE_PTZ_TIMEOUT_S seconds (default 5)."
        ),
        request=PointInput,
        responses={
            200: PointOutput,
            400: _error("Bad body", "invalid", "Send either 'report' or 'location'."),
            403: _error("Not an operator", "permission_denied", "Your role does not allow this."),
            404: _error("Camera or report not among yours", "not_found", "No such camera."),
            409: _error("Out of order", "camera_out_of_order", "This camera is out of order."),
            422: _error(
                "Not a PTZ camera (also ptz_not_configured)",
                "not_ptz",
                "This camera cannot be pointed: it is not a PTZ camera.",
            ),
            502: _error(
                "The camera refused or cannot be reached (camera_error, camera_unreachable)",
                "camera_unreachable",
                "The camera at 10.0.0.7:80 cannot be reached: … (command 42 recorded as failed)",
            ),
            504: _error(
                "The camera did not answer in time",
                "camera_timeout",
                "The camera at 10.0.0.7:80 did not answer within 5 s (command 42 recorded "
                "as failed)",
            ),
        },
        examples=[
            OpenApiExample("At a report", value={"report": 1234}, request_only=True),
            OpenApiExample(
                "At a place",
                value={"location": {"type": "Point", "coordinates": [2.3525, 48.8567]}},
                request_only=True,
            ),
            OpenApiExample(
                "Sent",
                value={
                    "command": 42,
                    "pan_deg": 71.3,
                    "tilt_deg": -14.05,
                    "zoom": 2.59,
                    "driver": "onvif",
                    "status": "sent",
                    "clamped": False,
                    "beyond_range": False,
                    "distance_m": 23.9,
                    "bearing_deg": 71.3,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, camera_id: int) -> Response:
        camera = cameras_visible_to(request.user).filter(pk=camera_id).first()
        if camera is None:
            raise NotFound("No such camera.")
        data = PointInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = None
        if "report" in data.validated_data:
            report = report_for_user(request.user, data.validated_data["report"])
            target = report.location
        else:
            target = data.validated_data["location"]
        command = point_camera(camera, target=target, report=report, issued_by=request.user)
        return Response(point_payload(command))
