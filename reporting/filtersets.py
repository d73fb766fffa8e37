from __future__ import annotations

import django_filters
from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from reporting.models import Report, Source, Status


def parse_bbox(value: str) -> Polygon:
    """`minlon,minlat,maxlon,maxlat` in WGS 84, as API.md says."""
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise ValidationError({"bbox": ["expected minlon,minlat,maxlon,maxlat"]}) from exc
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValidationError({"bbox": ["corners out of range or in the wrong order"]})
    return Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))


class ReportFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    category = django_filters.CharFilter(field_name="category__code")
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    bbox = django_filters.CharFilter(method="filter_bbox")

    class Meta:
        model = Report
        fields = ["status", "category", "source", "since", "bbox"]

    def filter_bbox(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        polygon = parse_bbox(value)
        polygon.srid = 4326
        return queryset.filter(location__intersects=polygon)
