"""Strict GeoJSON (RFC 7946) input for points, in WGS 84 `[longitude, latitude]`.

Vigie never parses a spatial reference it was sent: a `crs` member is refused outright, which
is why Debian 12's GDAL 3.6 warning gis.W001 may be silenced (see config/settings.py).
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.gis.geos import GEOSException, LinearRing, MultiPolygon, Point, Polygon
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from common.parsers import loads_strictly

# Members that turn a geometry into something else (RFC 7946 section 7.1).
_SEMANTIC_MEMBERS = {"features", "geometry", "properties", "geometries"}


def parse_point(value: Any) -> Point:
    """Return a 2D WGS 84 Point, or raise ValidationError with a message a person can act on."""
    if not isinstance(value, dict):
        raise serializers.ValidationError(
            'Expected a GeoJSON Point object: {"type": "Point", "coordinates": [lon, lat]}.',
            code="invalid_geojson",
        )
    if "crs" in value:
        raise serializers.ValidationError(
            "A 'crs' member is not accepted: coordinates are always WGS 84 (RFC 7946).",
            code="crs_not_allowed",
        )
    if value.get("type") != "Point":
        raise serializers.ValidationError(
            f"Expected a GeoJSON geometry of type 'Point', got {value.get('type')!r}.",
            code="invalid_geojson",
        )
    if _SEMANTIC_MEMBERS & value.keys():
        raise serializers.ValidationError(
            "A Point may not carry 'features', 'geometry', 'geometries' or 'properties'.",
            code="invalid_geojson",
        )
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        raise serializers.ValidationError(
            "'coordinates' must be [longitude, latitude] or [longitude, latitude, altitude].",
            code="invalid_geojson",
        )
    try:
        numbers = [float(c) for c in coordinates if isinstance(c, int | float)]
    except OverflowError:  # a 400-digit integer is a number, but not a coordinate
        numbers = []
    if (
        len(numbers) != len(coordinates)
        or any(isinstance(c, bool) for c in coordinates)
        or not all(math.isfinite(n) for n in numbers)
    ):
        raise serializers.ValidationError(
            "Coordinates must be finite numbers.", code="invalid_geojson"
        )
    longitude, latitude = numbers[0], numbers[1]
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        raise serializers.ValidationError(
            "Coordinates out of range: longitude must be within ±180 and latitude within ±90.",
            code="out_of_range",
        )
    return Point(longitude, latitude, srid=4326)


POINT_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Point (RFC 7946), [longitude, latitude] in WGS 84; no 'crs'.",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 3,
            "example": [7.2700, 43.6975],
        },
    },
    "required": ["type", "coordinates"],
}


@extend_schema_field(POINT_SCHEMA)
class PointField(serializers.Field):
    """A GeoJSON Point in and out; the value inside Vigie is a GEOS Point in SRID 4326."""

    default_error_messages = {"invalid": "Expected a GeoJSON Point."}

    def to_internal_value(self, data: Any) -> Point:
        if isinstance(data, str):  # a multipart form carries the GeoJSON as text
            try:
                data = loads_strictly(data)
            except ParseError as exc:
                raise serializers.ValidationError(
                    "Expected a GeoJSON Point as JSON text.", code="invalid_geojson"
                ) from exc
        return parse_point(data)

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [value.x, value.y]}


def _polygon(rings: Any) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise serializers.ValidationError(
            "A Polygon needs at least one ring.", code="invalid_geojson"
        )
    try:
        return Polygon(*[LinearRing([tuple(p[:2]) for p in ring]) for ring in rings], srid=4326)
    except (TypeError, ValueError, IndexError, OverflowError, GEOSException) as exc:
        raise serializers.ValidationError(
            f"Bad polygon ring: {exc}", code="invalid_geojson"
        ) from exc


def parse_area(value: Any) -> MultiPolygon:
    """An area (jurisdiction, broadcast zone) from a Polygon, MultiPolygon, Feature or
    FeatureCollection of those; several polygons become one MultiPolygon."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected a GeoJSON object.", code="invalid_geojson")
    if "crs" in value:
        raise serializers.ValidationError(
            "A 'crs' member is not accepted: coordinates are always WGS 84 (RFC 7946).",
            code="crs_not_allowed",
        )
    kind = value.get("type")
    if kind == "FeatureCollection":
        parts = [p for feature in value.get("features") or [] for p in parse_area(feature)]
    elif kind == "Feature":
        parts = list(parse_area(value.get("geometry")))
    elif kind == "Polygon":
        parts = [_polygon(value.get("coordinates"))]
    elif kind == "MultiPolygon":
        parts = [_polygon(rings) for rings in value.get("coordinates") or []]
    else:
        raise serializers.ValidationError(
            f"Expected Polygon, MultiPolygon, Feature or FeatureCollection, got {kind!r}.",
            code="invalid_geojson",
        )
    if not parts:
        raise serializers.ValidationError("The area is empty.", code="invalid_geojson")
    for part in parts:
        # PostGIS's answers (covers, intersects) on a self-crossing ring are undefined. Parts
        # are checked one by one: neighbouring communes sharing an edge make a fine area.
        if not part.valid:
            raise serializers.ValidationError(
                f"The area is not a valid polygon ({part.valid_reason}); draw it again "
                "without crossing lines.",
                code="invalid_geojson",
            )
    return MultiPolygon(*parts, srid=4326)


def parse_bbox(value: str, *, field: str) -> Polygon:
    """`minlon,minlat,maxlon,maxlat` in WGS 84 (API.md), as a polygon for `intersects`."""
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise serializers.ValidationError(
            {field: ["expected minlon,minlat,maxlon,maxlat"]}
        ) from exc
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise serializers.ValidationError({field: ["corners out of range or in the wrong order"]})
    polygon = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    polygon.srid = 4326
    return polygon
