from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from common.filters import UtcIsoDateTimeFilter
from common.geojson import parse_bbox
from reporting.models import Report, Source, Status


class ReportFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    category = django_filters.CharFilter(field_name="category__code")
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    bbox = django_filters.CharFilter(method="filter_bbox")

    class Meta:
        model = Report
        fields = ["status", "category", "source", "since", "bbox"]

    def filter_bbox(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return queryset.filter(location__intersects=parse_bbox(value, field="bbox"))
