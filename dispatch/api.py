"""Dispatch API (API.md, "Dispatch"): thin views over dispatch.services and dispatch.queries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.models import MonitoringCentre, Role, User
from accounts.permissions import requires
from accounts.queries import choose_centre
from common.errors import InvalidInput, NotAllowed
from common.geojson import PointField
from common.idempotency import idempotent
from dispatch import queries, services
from dispatch.models import InterventionOutcome, State, UnitKind, UnitStatus
from dispatch.payloads import intervention_payload, unit_position_payload
from reporting.queries import report_for_user

CanDispatch = requires("dispatch.dispatch_unit")
CanManageUnits = requires("dispatch.manage_unit")


class IsStaffOrPolice(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if user.role == Role.POLICE or user.has_perm("dispatch.view_unit"):
            return True
        raise NotAllowed("Only the centre's staff and police officers may do this.")


class UnitInput(serializers.Serializer):
    callsign = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=UnitKind.choices, default=UnitKind.CAR)
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=20, default=list
    )
    centre = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class PositionInput(serializers.Serializer):
    location = PointField()
    recorded_at = serializers.DateTimeField()
    accuracy_m = serializers.FloatField(min_value=0, required=False, allow_null=True, default=None)


class UnitStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY])


class InterventionInput(serializers.Serializer):
    report = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    propose = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=2000, default="", allow_blank=True)


class TransitionInput(serializers.Serializer):
    to = serializers.ChoiceField(choices=[s for s in State.values if s != State.PROPOSED])
    outcome = serializers.ChoiceField(
        choices=InterventionOutcome.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=2000, default="", allow_blank=True)


class ReassignInput(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class UnitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    callsign = serializers.CharField()
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    centre = serializers.IntegerField()
    status = serializers.ChoiceField(choices=UnitStatus.choices)
    location = serializers.JSONField(allow_null=True, help_text="GeoJSON Point")
    accuracy_m = serializers.FloatField(allow_null=True)
    recorded_at = serializers.DateTimeField(allow_null=True)
    seen_at = serializers.DateTimeField(allow_null=True)


class SuggestedUnitOutput(UnitOutput):
    distance_m = serializers.FloatField()
    fix_age_s = serializers.IntegerField()


class InterventionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.IntegerField()
    unit = serializers.JSONField(help_text='{"id", "callsign", "kind"}')
    centre = serializers.IntegerField()
    state = serializers.ChoiceField(choices=State.choices)
    outcome = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    timeline = serializers.JSONField(help_text="every move: from, to, at, by, unit, where")


class UnitCollection(APIView):
    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), CanManageUnits()]
        return [IsStaffOrPolice()]

    @extend_schema(responses=UnitOutput(many=True))
    def get(self, request: Request) -> Response:
        units = queries.units_visible_to(request.user).order_by("callsign")
        return Response([unit_position_payload(unit) for unit in units[:1000]])

    @extend_schema(request=UnitInput, responses={201: UnitOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = UnitInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        centres = MonitoringCentre.objects.all() if user.is_superuser else user.centres.all()
        centre = choose_centre(centres, data.validated_data.get("centre"))
        names = data.validated_data["members"]
        members = list(User.objects.filter(username__in=names))
        unknown = sorted(set(names) - {m.username for m in members})
        if unknown:
            raise InvalidInput(fields={"members": [f"unknown: {', '.join(unknown)}"]})
        unit = services.create_unit(
            centre=centre,
            callsign=data.validated_data["callsign"],
            kind=data.validated_data["kind"],
            members=members,
        )
        return Response(unit_position_payload(unit), status=status.HTTP_201_CREATED)


class UnitPositionView(APIView):
    permission_classes = [IsStaffOrPolice]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "positions"

    @extend_schema(request=PositionInput, responses={204: None})
    def post(self, request: Request, unit_id: int) -> Response:
        unit = queries.unit_for_user(request.user, unit_id)
        data = PositionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_position(unit, by=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnitStatusView(APIView):
    """A unit goes on or off duty (its officers, or the centre)."""

    permission_classes = [IsStaffOrPolice]

    @extend_schema(request=UnitStatusInput, responses=UnitOutput)
    def post(self, request: Request, unit_id: int) -> Response:
        unit = queries.unit_for_user(request.user, unit_id)
        data = UnitStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.set_unit_status(unit, status=data.validated_data["status"])
        return Response(unit_position_payload(unit))


class SuggestedUnits(APIView):
    permission_classes = [IsAuthenticated, CanDispatch]

    @extend_schema(responses=SuggestedUnitOutput(many=True))
    def get(self, request: Request, report_id: int) -> Response:
        report = report_for_user(request.user, report_id)
        now = timezone.now()
        body = []
        for unit in queries.suggested_units(report)[:20]:
            body.append(
                {
                    **unit_position_payload(unit),
                    "distance_m": round(unit.distance.m, 1),
                    "fix_age_s": round((now - unit.last_recorded_at).total_seconds()),
                }
            )
        return Response(body)


class InterventionCollection(APIView):
    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), CanDispatch()]
        return [IsStaffOrPolice()]

    @extend_schema(
        operation_id="v1_interventions_list",
        parameters=[
            OpenApiParameter("active", bool, description="only live ones"),
            OpenApiParameter("report", int),
        ],
        responses=InterventionOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        interventions = queries.interventions_visible_to(request.user)
        if request.query_params.get("active") == "true":
            interventions = queries.current_interventions_of(request.user)
        report = request.query_params.get("report")
        if report is not None:
            if not report.isdigit() or len(report) > 18:
                raise InvalidInput(fields={"report": ["a report id"]})
            interventions = interventions.filter(report_id=int(report))
        return Response([intervention_payload(i) for i in interventions[:200]])

    @extend_schema(request=InterventionInput, responses={201: InterventionOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = InterventionInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, data.validated_data["report"])
        unit = queries.unit_for_user(request.user, data.validated_data["unit"])
        intervention = services.dispatch_unit(
            report,
            unit=unit,
            operator=request.user,
            propose=data.validated_data["propose"],
            note=data.validated_data["note"],
        )
        return Response(intervention_payload(intervention), status=status.HTTP_201_CREATED)


class InterventionDetail(APIView):
    permission_classes = [IsStaffOrPolice]

    @extend_schema(responses=InterventionOutput)
    def get(self, request: Request, intervention_id: int) -> Response:
        intervention = queries.intervention_for_user(request.user, intervention_id)
        return Response(intervention_payload(intervention))


class TransitionIntervention(APIView):
    permission_classes = [IsStaffOrPolice]
    throttle_classes = [UserRateThrottle]

    @extend_schema(request=TransitionInput, responses=InterventionOutput)
    def post(self, request: Request, intervention_id: int) -> Response:
        intervention = queries.intervention_for_user(request.user, intervention_id)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        intervention = services.transition_intervention(
            intervention, by=request.user, **data.validated_data
        )
        return Response(intervention_payload(intervention))


class ReassignIntervention(APIView):
    permission_classes = [IsAuthenticated, CanDispatch]

    @extend_schema(request=ReassignInput, responses=InterventionOutput)
    def post(self, request: Request, intervention_id: int) -> Response:
        intervention = queries.intervention_for_user(request.user, intervention_id)
        data = ReassignInput(data=request.data)
        data.is_valid(raise_exception=True)
        unit = queries.unit_for_user(request.user, data.validated_data["unit"])
        intervention = services.reassign_intervention(
            intervention, unit=unit, operator=request.user
        )
        return Response(intervention_payload(intervention))
