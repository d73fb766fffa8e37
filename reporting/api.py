"""Reports API (API.md, "Reports"): thin views over reporting.services and reporting.queries."""

from __future__ import annotations

from urllib.parse import unquote

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.models import STAFF_ROLES, Role, User
from accounts.permissions import IsApprovedMember, requires
from audit.models import Action
from audit.services import record
from cameras.payloads import link_payload
from common.errors import InvalidInput, NotFound, RuleBroken
from common.geojson import PointField
from common.idempotency import idempotent
from common.parsers import StrictJSONParser
from reporting.filtersets import ReportFilter
from reporting.media import check_uploads
from reporting.models import Category, Outcome, Report, Source
from reporting.payloads import ReportPayload, report_payload
from reporting.queries import likely_duplicates, report_for_user, with_details
from reporting.services import intake, triage

SOURCE_OF_ROLE = {Role.RESIDENT: Source.RESIDENT, Role.BUSINESS: Source.BUSINESS}


class CategoryOutput(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["code", "label", "label_fr", "label_en", "default_priority", "for_alerts"]

    def get_label(self, category: Category) -> str:
        request = self.context.get("request")
        language = getattr(request, "LANGUAGE_CODE", "fr") if request else "fr"
        return category.label(language)


class CategoryList(generics.ListAPIView):
    """The categories a report can have, labelled in the caller's language (Accept-Language).

    Staff also get the categories only devices raise (panic, duress...), to label them."""

    permission_classes = [AllowAny]
    pagination_class = None
    serializer_class = CategoryOutput

    def get_queryset(self):
        categories = Category.objects.filter(active=True)
        if getattr(self.request.user, "role", None) in STAFF_ROLES:
            return categories
        return categories.filter(for_alerts=False)


class ReportInput(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True, for_alerts=False),
        error_messages={"does_not_exist": "Unknown category {value}; see /api/v1/categories/."},
    )
    description = serializers.CharField(
        max_length=settings.VIGIE_REPORT_DESCRIPTION_MAX, allow_blank=True, default=""
    )
    location = PointField()
    accuracy_m = serializers.FloatField(min_value=0, required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_occurred_at(self, value):
        if value and value > timezone.now() + timezone.timedelta(minutes=5):
            raise ValidationError("This is in the future.")
        return value


class ReportPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


REPORT_RESPONSE = OpenApiExample(
    "A report",
    value={
        "id": 1234,
        "reference": "NCE-2026-000123",
        "source": "resident",
        "category": "illegal_dumping",
        "priority": "low",
        "status": "acknowledged",
        "description": "Mattresses and rubble left on the pavement.",
        "location": {"type": "Point", "coordinates": [7.27, 43.6975]},
        "accuracy_m": 12.0,
        "occurred_at": None,
        "centre": 2,
        "created_at": "2026-11-21T09:14:03.512+01:00",
        "media": [
            {
                "id": 77,
                "kind": "photo",
                "content_type": "image/jpeg",
                "size": 481230,
                "url": "/api/v1/reports/1234/media/77/",
            }
        ],
        "cameras": [],
        "incident": None,
        "acknowledged_by": "nice-operator",
        "acknowledged_at": "2026-11-21T09:15:40.020+01:00",
        "outcome": "",
        "closing_note": "",
        "closed_at": None,
    },
    response_only=True,
)

REPORT_EXAMPLE = OpenApiExample(
    "A resident's report",
    value={
        "category": "illegal_dumping",
        "description": "Mattresses and rubble left on the pavement.",
        "location": {"type": "Point", "coordinates": [7.2700, 43.6975]},
        "accuracy_m": 12,
    },
    request_only=True,
)


class ReportListCreate(generics.ListAPIView):
    """Residents and businesses: their own reports, and new ones. Operators: their centres'."""

    parser_classes = [StrictJSONParser, MultiPartParser]
    serializer_class = ReportPayload
    pagination_class = ReportPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter
    throttle_scope = "reports"

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsApprovedMember()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list:
        throttles = [UserRateThrottle()]
        if self.request.method == "POST":
            throttles.append(ScopedRateThrottle())
        return throttles

    def get_queryset(self):
        reports = with_details(Report.objects.visible_to(self.request.user))
        near = self.request.query_params.get("near")
        if near:
            reports = reports.annotate(distance=Distance("location", _parse_near(near)))
            return reports.order_by("distance")
        return reports

    @extend_schema(
        parameters=[
            OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat"),
            OpenApiParameter("near", str, description="lon,lat: nearest first"),
        ]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": ReportInput, "multipart/form-data": ReportInput},
        responses={201: ReportPayload},
        examples=[REPORT_EXAMPLE, REPORT_RESPONSE],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        media = check_uploads(request.FILES.getlist("media"))
        report = intake.create_report(
            source=SOURCE_OF_ROLE[request.user.role],
            author=request.user,
            media=media,
            **data.validated_data,
        )
        return Response(report_payload(report), status=status.HTTP_201_CREATED)


def _parse_near(value: str) -> Point:
    try:
        lon, lat = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise ValidationError({"near": ["expected lon,lat"]}) from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({"near": ["out of range"]})
    return Point(lon, lat, srid=4326)


def _is_staff(user: User) -> bool:
    """Centre staff and administrators, whose reading of a report is recorded (a member of
    the public reading their own report is not: it is theirs)."""
    return user.is_superuser or user.role in STAFF_ROLES


def _record_report_access(request: Request, report: Report, action: str, **extra) -> None:
    record(
        actor=request.user,
        action=action,
        target_type=extra.pop("target_type", "report"),
        target_id=extra.pop("target_id", report.pk),
        target_label=report.reference,
        centre_id=report.centre_id,
        request=request,
        **extra,
    )


class ReportDetail(APIView):
    @extend_schema(responses=ReportPayload, examples=[REPORT_RESPONSE])
    def get(self, request: Request, report_id: int) -> Response:
        with transaction.atomic():
            report = report_for_user(request.user, report_id, shared=True)
            if _is_staff(request.user):
                _record_report_access(request, report, Action.VIEW_REPORT)
            return Response(report_payload(report))


class MergeInput(serializers.Serializer):
    into = serializers.IntegerField()


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=4000, allow_blank=True, default="")


class _TriageView(APIView):
    permission_classes = [IsAuthenticated, requires("reporting.triage_report")]


class AcknowledgeReport(_TriageView):
    @extend_schema(request=None, responses=ReportPayload, examples=[REPORT_RESPONSE])
    def post(self, request: Request, report_id: int) -> Response:
        report = report_for_user(request.user, report_id)
        report = triage.acknowledge_report(report, operator=request.user)
        return Response(report_payload(report))


class MergeReport(_TriageView):
    @extend_schema(
        request=MergeInput,
        responses=ReportPayload,
        examples=[
            OpenApiExample("Merge", value={"into": 1234}, request_only=True),
            REPORT_RESPONSE,
        ],
    )
    def post(self, request: Request, report_id: int) -> Response:
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, report_id)
        into = report_for_user(request.user, data.validated_data["into"])
        triage.merge_reports(report, into=into, operator=request.user)
        report.refresh_from_db()
        return Response(report_payload(report))


class CloseReport(_TriageView):
    @extend_schema(
        request=CloseInput,
        responses=ReportPayload,
        examples=[
            OpenApiExample(
                "Forwarded",
                value={"outcome": "forwarded", "note": "Sent to the city's cleaning service"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, report_id: int) -> Response:
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_for_user(request.user, report_id)
        report = triage.close_report(
            report,
            operator=request.user,
            outcome=data.validated_data["outcome"],
            note=data.validated_data["note"],
        )
        return Response(report_payload(report))


class DuplicateOutput(ReportPayload):
    distance_m = serializers.SerializerMethodField()

    class Meta(ReportPayload.Meta):
        fields = [*ReportPayload.Meta.fields, "distance_m"]

    def get_distance_m(self, report: Report) -> float:
        return round(report.distance.m, 1)


class ReportDuplicates(_TriageView):
    """Likely duplicates: same category, within the configured radius and time window."""

    @extend_schema(responses=DuplicateOutput(many=True))
    def get(self, request: Request, report_id: int) -> Response:
        report = report_for_user(request.user, report_id)
        candidates = with_details(likely_duplicates(report))[:20]
        return Response(DuplicateOutput(candidates, many=True).data)


class ReportCameras(_TriageView):
    """The cameras that can show the report, best first (API.md, "A camera link")."""

    @extend_schema(
        responses={200: {"type": "array", "items": {"type": "object"}}},
        description="Each call is recorded in the access trail (`view_cameras`): the links "
        "carry the cameras' stream and snapshot URLs.",
    )
    def get(self, request: Request, report_id: int) -> Response:
        with transaction.atomic():
            report = report_for_user(request.user, report_id, shared=True)
            links = [
                link_payload(link)
                for link in report.camera_links.select_related("camera").order_by("rank")
            ]
            _record_report_access(
                request,
                report,
                Action.VIEW_CAMERAS,
                target_type="camera_links",
                detail={"cameras": [link["camera"]["id"] for link in links]},
            )
        return Response(links)


REASON_MAX = 500


def _access_reason(request: Request, report: Report) -> str:
    """Why a member of staff opens an attachment: `?reason=` or the `X-Access-Reason` header
    (percent-encoded, as headers carry only Latin-1). The report's own author needs none; a
    police officer's reason is the intervention their unit was sent on (the only reports they
    can reach), named here so the trail says it."""
    user = request.user
    if report.author_id == user.pk or not _is_staff(user):
        return ""
    given = request.query_params.get("reason") or unquote(
        request.headers.get("X-Access-Reason", "")
    )
    given = given.strip()
    if len(given) > REASON_MAX:
        raise InvalidInput(fields={"reason": [f"at most {REASON_MAX} characters"]})
    if not given and user.role == Role.POLICE:
        mission = (
            report.interventions.filter(unit__members=user).order_by("-pk").values("pk").first()
        )
        if mission:
            given = f"intervention #{mission['pk']}"
    if not given:
        raise RuleBroken(
            "Say why you open this attachment: the reason is kept in the access trail.",
            code="reason_required",
            fields={"reason": ["required for staff (?reason= or the X-Access-Reason header)"]},
        )
    return given


class ReportMedia(APIView):
    """An attachment's bytes, for whoever may see its report; never a public URL."""

    @extend_schema(
        description=(
            "The file of one attachment. Staff must say why they open it, in the `reason` "
            "query parameter or the `X-Access-Reason` header (percent-encoded UTF-8); the "
            "reason and the access are kept in the access trail (`view_attachment`). Without "
            "one: 422 `reason_required`. The report's own author needs no reason; a police "
            "officer's defaults to the intervention their unit was sent on."
        ),
        parameters=[
            OpenApiParameter(
                "reason",
                str,
                description="why staff open the attachment (required for staff, ≤ 500 chars)",
            ),
            OpenApiParameter(
                "X-Access-Reason",
                str,
                location=OpenApiParameter.HEADER,
                description="the same reason, as a header (percent-encoded UTF-8)",
            ),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            422: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, report_id: int, attachment_id: int) -> FileResponse:
        with transaction.atomic():
            report = report_for_user(request.user, report_id, shared=True)
            attachment = report.attachments.filter(pk=attachment_id).first()
            if attachment is None:
                raise NotFound("No such attachment.")
            reason = _access_reason(request, report)
            if reason:
                _record_report_access(
                    request,
                    report,
                    Action.VIEW_ATTACHMENT,
                    target_type="attachment",
                    target_id=attachment.pk,
                    reason=reason,
                    detail={"report": report.pk, "kind": attachment.kind},
                )
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
