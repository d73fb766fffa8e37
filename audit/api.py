"""GET /api/v1/access-records/ — supervisors search the access trail of their centres.

Searching the trail is itself an access a data-protection officer asks about, so each search
is recorded (Action.SEARCH_TRAIL) in the same transaction as the page it returns.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audit.filtersets import AccessRecordFilter
from audit.models import AccessRecord, Action
from audit.queries import records_visible_to, served_centre_ids
from audit.services import record


class CanReadTrail(BasePermission):
    """Supervisors (their role holds `audit.view_accessrecord`) and platform administrators.
    Written here rather than with `accounts.permissions.requires`: audit sits below accounts."""

    message = "Only supervisors and administrators may search the access trail."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user.is_authenticated and request.user.has_perm("audit.view_accessrecord")
        )


class AccessRecordOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")
    reference = serializers.CharField(source="target_label")
    centre = serializers.IntegerField(source="centre_id", allow_null=True)

    class Meta:
        model = AccessRecord
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "actor_role",
            "action",
            "target_type",
            "target_id",
            "reference",
            "centre",
            "reason",
            "detail",
            "ip_address",
        ]


class TrailPagination(PageNumberPagination):
    # As the reports list (reporting.api.ReportPagination).
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# What a search record keeps of the query string (the filters, not the paging).
SEARCH_KEYS = tuple(AccessRecordFilter.Meta.fields)


class AccessRecordList(generics.ListAPIView):
    """The trail of the centres the person serves (and their own actions), newest first."""

    permission_classes = [IsAuthenticated, CanReadTrail]
    serializer_class = AccessRecordOutput
    pagination_class = TrailPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccessRecordFilter

    def get_queryset(self):
        return records_visible_to(self.request.user)

    @extend_schema(
        summary="Search the access trail",
        description=(
            "Who viewed which report, attachment (with the reason given), camera links and "
            "exports, who changed what, sign-ins and failed sign-ins, newest first. "
            "Supervisors: the records of the centres they serve and their own actions; "
            "administrators: every record. Each search is itself recorded (`search_trail`)."
        ),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            response = self.list(request, *args, **kwargs)
            centres = served_centre_ids(request.user)
            asked = {
                key: ",".join(request.query_params.getlist(key))[:200]
                for key in SEARCH_KEYS
                if key in request.query_params
            }
            page = getattr(self.paginator, "page", None)
            record(
                actor=request.user,
                action=Action.SEARCH_TRAIL,
                target_type="access_records",
                # A supervisor of one centre: their colleagues see the search too.
                centre_id=centres[0] if len(centres) == 1 else None,
                detail={"filters": asked, "results": page.paginator.count if page else None},
                request=request,
            )
        return response
