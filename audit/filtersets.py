"""The access trail's search filters (GET /api/v1/access-records/)."""

from __future__ import annotations

import django_filters

from audit.models import AccessRecord, Action
from common.filters import UtcIsoDateTimeFilter


class AccessRecordFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_username", lookup_expr="iexact", help_text="username, any case"
    )
    action = django_filters.MultipleChoiceFilter(choices=Action.choices)
    target_type = django_filters.CharFilter(
        help_text="report, attachment, camera_links, intervention, broadcast, device, figures…"
    )
    target_id = django_filters.NumberFilter()
    reference = django_filters.CharFilter(
        field_name="target_label", lookup_expr="iexact", help_text="a report's reference"
    )
    centre = django_filters.NumberFilter(field_name="centre_id")
    since = UtcIsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="at", lookup_expr="lte")

    class Meta:
        model = AccessRecord
        fields = [
            "actor",
            "action",
            "target_type",
            "target_id",
            "reference",
            "centre",
            "since",
            "until",
        ]
