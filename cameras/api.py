"""Cameras API (API.md, "Cameras"): the console map's layer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from cameras.payloads import camera_feature
from cameras.queries import cameras_visible_to
from common.geojson import parse_bbox

MAX_FEATURES = 20_000  # a city's whole network fits; the console asks by bbox


class CameraCollection(APIView):
    """The cameras of the centres the operator serves, as a GeoJSON FeatureCollection."""

    permission_classes = [IsAuthenticated, requires("reporting.triage_report")]

    @extend_schema(
        parameters=[OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat")],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        cameras = cameras_visible_to(request.user).order_by("pk")
        bbox = request.query_params.get("bbox")
        if bbox:
            cameras = cameras.filter(location__intersects=parse_bbox(bbox, field="bbox"))
        features = [camera_feature(c) for c in cameras[:MAX_FEATURES]]
        return Response({"type": "FeatureCollection", "features": features})
