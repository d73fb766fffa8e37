"""GET /api/v1/figures/response-times/ — response-time figures per centre and local day.

A thin view: the query string is checked by `ResponseTimesQuery`, the centres are scoped to the
person (operators and supervisors: the centres they serve; administrators: every centre), and
`dispatch.figures.response_times` does the work in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MonitoringCentre, User
from accounts.permissions import requires
from audit.models import Action
from audit.services import record
from common.errors import InvalidInput, NotFound
from dispatch.figures import GROUPINGS, MAX_DAYS, ResponseTimeRow, response_times
from live.queries import console_centre_ids
from reporting.models import Source

DEFAULT_DAYS = 7


class ResponseTimesQuery(serializers.Serializer):
    """The query string: a period of local days (`until` defaults to today, `since` to six days
    before `until`; at most 92 days), an optional centre among those served, a grouping."""

    since = serializers.DateField(required=False, help_text="first local day, YYYY-MM-DD")
    until = serializers.DateField(required=False, help_text="last local day, YYYY-MM-DD")
    centre = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    by = serializers.ChoiceField(choices=GROUPINGS, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        until = attrs.get("until") or timezone.localdate()
        since = attrs.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise serializers.ValidationError({"until": ["on or after since"]})
        if (until - since).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"until": [f"at most {MAX_DAYS} days from since"]})
        return {**attrs, "since": since, "until": until}


@dataclass(frozen=True)
class Figures:
    """What one request asked for and what it gets."""

    since: date
    until: date
    by: str | None
    centres: list[MonitoringCentre]
    rows: list[ResponseTimeRow]


def figures_for(user: User, data: Any) -> Figures:
    """Check the query (InvalidInput, 400), scope the centres to `user` (NotFound, 404, for a
    centre they do not serve) and compute the figures. Shared by the API and the page."""
    query = ResponseTimesQuery(data=data)
    if not query.is_valid():
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in query.errors.items()})
    params = query.validated_data
    served = console_centre_ids(user)
    centre_ids = served
    if "centre" in params:
        if params["centre"] not in served:
            raise NotFound("No such centre among those you serve.")
        centre_ids = [params["centre"]]
    return Figures(
        since=params["since"],
        until=params["until"],
        by=params.get("by"),
        centres=list(MonitoringCentre.objects.filter(pk__in=centre_ids).order_by("pk")),
        rows=response_times(
            centre_ids=centre_ids,
            since=params["since"],
            until=params["until"],
            group_by=params.get("by"),
        ),
    )


def record_export(user: User, figures: Figures, *, via: str, request: Any = None) -> None:
    """The figures leave the platform (a page, a JSON download): one access-trail record per
    centre they cover, so each centre's supervisors see it. Call inside a transaction."""
    for centre in figures.centres:
        record(
            actor=user,
            action=Action.EXPORT,
            target_type="figures",
            target_label="response-times",
            centre_id=centre.pk,
            detail={
                "via": via,
                "since": figures.since.isoformat(),
                "until": figures.until.isoformat(),
                "by": figures.by,
            },
            request=request,
        )


class StageOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="reports of the group that reached this step")
    median_s = serializers.FloatField(allow_null=True, help_text="median wait, seconds")
    p90_s = serializers.FloatField(allow_null=True, help_text="90th percentile wait, seconds")


class ResponseTimeRowOutput(serializers.Serializer):
    centre = serializers.IntegerField()
    day = serializers.DateField(help_text="the reports' local day of creation")
    category = serializers.CharField(allow_null=True, help_text="code, when grouped by category")
    source = serializers.ChoiceField(
        choices=Source.choices, allow_null=True, help_text="when grouped by source"
    )
    n = serializers.IntegerField(help_text="reports created that day")
    acknowledged = StageOutput(help_text="report created → acknowledged by an operator")
    dispatched = StageOutput(help_text="report created → first unit dispatched")
    on_scene = StageOutput(help_text="report created → first unit on scene")
    resolved = StageOutput(help_text="report created → first intervention resolved")


class CentreRefOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()


class ResponseTimesOutput(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    time_zone = serializers.CharField(help_text="the zone that defines the days")
    by = serializers.ChoiceField(choices=GROUPINGS, allow_null=True)
    centres = CentreRefOutput(many=True, help_text="the centres the figures cover")
    rows = ResponseTimeRowOutput(
        many=True, help_text="days (and groups) without reports are left out"
    )


class ResponseTimes(APIView):
    """Response-time figures of the centres the person serves."""

    permission_classes = [IsAuthenticated, requires("dispatch.dispatch_unit")]

    @extend_schema(
        operation_id="v1_figures_response_times",
        summary="Response times per centre and local day",
        description=(
            "For the reports created in the period, the median and 90th percentile of the "
            "wait from creation to acknowledgement, first dispatch, first unit on scene and "
            "first resolution, in seconds, per centre and local day (and per category or "
            "source with `by`). 400 for a bad or too long period, 404 for a centre the "
            "person does not serve."
        ),
        parameters=[
            OpenApiParameter(
                "since", date, description="first local day (default: 6 days before until)"
            ),
            OpenApiParameter("until", date, description="last local day (default: today)"),
            OpenApiParameter("centre", int, description="one of the centres served"),
            OpenApiParameter("by", str, enum=list(GROUPINGS), description="grouping"),
        ],
        responses=ResponseTimesOutput,
    )
    def get(self, request: Request) -> Response:
        with transaction.atomic():
            figures = figures_for(request.user, request.query_params)
            record_export(request.user, figures, via="api", request=request)
        body = ResponseTimesOutput(
            {
                "since": figures.since,
                "until": figures.until,
                "time_zone": settings.TIME_ZONE,
                "by": figures.by,
                "centres": figures.centres,
                "rows": figures.rows,
            }
        )
        return Response(body.data)
