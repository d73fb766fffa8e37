"""Push devices and broadcasts (API.md, "Accounts and vetting"; issue 8)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from accounts.queries import choose_centre
from common.errors import InvalidInput, NotFound
from common.geojson import PointField, parse_area
from common.idempotency import idempotent
from notifications import services
from notifications.models import Broadcast, PushDevice, Severity


class PushDeviceInput(serializers.Serializer):
    token = serializers.CharField(max_length=1024)
    platform = serializers.ChoiceField(choices=PushDevice.Platform.choices, default="android")


class PushDevices(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PushDeviceInput, responses={201: PushDeviceInput})
    def post(self, request: Request) -> Response:
        data = PushDeviceInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.register_push_device(request.user, **data.validated_data)
        return Response(
            {"token": device.token, "platform": device.platform}, status=status.HTTP_201_CREATED
        )


class PushDeviceDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token: str) -> Response:
        if not services.drop_push_device(request.user, token=token):
            raise NotFound("No such device token of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class CircleInput(serializers.Serializer):
    center = PointField()
    radius_m = serializers.FloatField(min_value=10, max_value=20_000)


class BroadcastInput(serializers.Serializer):
    title = serializers.CharField(max_length=140)
    body = serializers.CharField(max_length=2000)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MODERATE)
    expires_at = serializers.DateTimeField(required=False)
    area = serializers.JSONField(required=False, help_text="GeoJSON Polygon or MultiPolygon")
    circle = CircleInput(required=False)
    area_description = serializers.CharField(max_length=300, default="", allow_blank=True)
    centre = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class BroadcastOutput(serializers.ModelSerializer):
    area = serializers.SerializerMethodField()

    class Meta:
        model = Broadcast
        fields = [
            "id",
            "centre",
            "title",
            "body",
            "severity",
            "area",
            "area_description",
            "expires_at",
            "recipients",
            "created_at",
        ]

    def get_area(self, broadcast: Broadcast) -> dict:
        return json.loads(broadcast.area.geojson)


def _circle(center: Point, radius_m: float) -> MultiPolygon:
    """A circle on the ground as a polygon, drawn by PostGIS on geography (metres)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_Buffer("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, 32)::geometry))",
            [center.x, center.y, radius_m],
        )
        area = GEOSGeometry(memoryview(cursor.fetchone()[0]))
    if not isinstance(area, MultiPolygon):  # ST_Multi of a buffer: always one polygon's worth
        raise TypeError(f"expected a MultiPolygon, PostGIS drew a {area.geom_type}")
    area.srid = 4326
    return area


class Broadcasts(APIView):
    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), requires("notifications.add_broadcast")()]
        return [IsAuthenticated()]

    @extend_schema(responses=BroadcastOutput(many=True))
    def get(self, request: Request) -> Response:
        broadcasts = services.current_broadcasts_for(request.user)[:100]
        return Response(BroadcastOutput(broadcasts, many=True).data)

    @extend_schema(request=BroadcastInput, responses={201: BroadcastOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = BroadcastInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if ("area" in fields) == ("circle" in fields):
            raise InvalidInput(fields={"area": ["give an area or a circle, one of them"]})
        if "area" in fields:
            area = parse_area(fields["area"])
        else:
            area = _circle(fields["circle"]["center"], fields["circle"]["radius_m"])
        centre = choose_centre(request.user.centres.all(), fields.get("centre"))
        expires_at = fields.get("expires_at") or timezone.now() + timedelta(
            hours=settings.VIGIE_BROADCAST_HOURS
        )
        broadcast = services.broadcast_to_area(
            centre=centre,
            author=request.user,
            title=fields["title"],
            body=fields["body"],
            severity=fields["severity"],
            area=area,
            expires_at=expires_at,
            area_description=fields["area_description"],
        )
        return Response(BroadcastOutput(broadcast).data, status=status.HTTP_201_CREATED)
