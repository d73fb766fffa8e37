"""Legal hold and sharing of a report (issue 9): thin views over reporting.services.custody."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MonitoringCentre
from common.errors import RuleBroken
from common.idempotency import idempotent
from reporting.models import ReportShare
from reporting.payloads import ReportPayload, report_payload
from reporting.queries import report_for_user
from reporting.services import custody


class ReasonInput(serializers.Serializer):
    # Not required here: a missing reason is a rule of the service (422 `reason_required`).
    reason = serializers.CharField(
        max_length=custody.REASON_MAX, required=False, allow_blank=True, default=""
    )


class ShareInput(ReasonInput):
    centre = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ShareOutput(serializers.ModelSerializer):
    report = serializers.IntegerField(source="report_id")
    centre = serializers.IntegerField(source="centre_id")
    shared_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReportShare
        fields = ["id", "report", "centre", "shared_by", "reason", "created_at"]


REASON_EXAMPLE = OpenApiExample(
    "Requisition",
    value={"reason": "Réquisition judiciaire n° 2026/1234 du parquet de Paris"},
    request_only=True,
)


class LegalHold(APIView):
    """Supervisors of the report's centre: keep the report past retention, or stop keeping it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReasonInput, responses=ReportPayload, examples=[REASON_EXAMPLE])
    def post(self, request: Request, report_id: int) -> Response:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, report_id)
        report = custody.set_legal_hold(
            report,
            supervisor=request.user,
            reason=data.validated_data["reason"],
            request=request,
        )
        return Response(report_payload(report))

    @extend_schema(request=ReasonInput, responses=ReportPayload, examples=[REASON_EXAMPLE])
    def delete(self, request: Request, report_id: int) -> Response:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, report_id)
        report = custody.lift_legal_hold(
            report,
            supervisor=request.user,
            reason=data.validated_data["reason"],
            request=request,
        )
        return Response(report_payload(report))


class ShareReport(APIView):
    """Supervisors of the report's centre: let another centre read the report."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ShareInput,
        responses={201: ShareOutput},
        examples=[
            OpenApiExample(
                "Share",
                value={"centre": 7, "reason": "The suspect fled towards Saint-Denis."},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request: Request, report_id: int) -> Response:
        data = ShareInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, report_id)
        centre = MonitoringCentre.objects.filter(pk=data.validated_data["centre"]).first()
        if centre is None:
            raise RuleBroken(
                "No such centre.", code="unknown_centre", fields={"centre": ["No such centre."]}
            )
        share = custody.share_report(
            report,
            by=request.user,
            centre=centre,
            reason=data.validated_data["reason"],
            request=request,
        )
        return Response(ShareOutput(share).data, status=status.HTTP_201_CREATED)
