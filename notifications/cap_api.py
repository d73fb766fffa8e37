"""The CAP 1.2 feed at /api/v1/cap/ (API.md, "Interoperability"; issue 8).

- `GET /api/v1/cap/`: an Atom index of the current items, each linking to its CAP document.
- `GET /api/v1/cap/broadcasts/{id}.xml`: one area broadcast, to anyone.
- `GET /api/v1/cap/reports/{id}.xml`: one critical report, to the staff of its centre only.

Privacy (the who here; what a report may show, in notifications.cap.report_alert):
- Broadcasts are public: residents already received them, so anyone may read them.
- Critical reports carry a place and a description that can identify the people involved.
  They are served only to signed-in operators and supervisors of the report's own centre
  (another authority's system gets such an account), as `scope` Restricted, without the
  description, with the position rounded to ~100 m (a 100 m circle; notifications.cap). Anyone
  else is told 401 (not signed in) or 404 (whether or not the report exists), and the index
  lists broadcasts only.
- Responses that hold reports are `Cache-Control: private, no-store`; the public ones may be
  cached a minute and vary on the credentials.

Reports belong to the higher `reporting` app, which this lower app never imports
(ARCHITECTURE.md): the model is looked up by name and only its columns are read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import TRIAGE_ROLES, MonitoringCentre
from common.errors import NotFound
from notifications import cap
from notifications.models import Broadcast

# Critical reports stay in the index this long after they were raised, while still open.
ALERT_WINDOW = timedelta(hours=6)
MAX_ENTRIES = 200  # per kind; the newest first
_CRITICAL = "critical"  # reporting.models.Priority.CRITICAL
_OPEN = ("new", "acknowledged", "dispatched")  # reporting.models.Status, not yet resolved

_ATOM = OpenApiResponse(OpenApiTypes.STR, description="An Atom (RFC 4287) feed.")
_CAP_ALERT = OpenApiResponse(
    OpenApiTypes.STR,
    description='One OASIS CAP 1.2 `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">`.',
)
_NOT_SIGNED_IN = OpenApiResponse(description="not_authenticated: no or bad credentials (JSON).")
_NO_SUCH = OpenApiResponse(description="not_found (JSON), whether or not the id exists.")


class _ErrorsInJson(BaseContentNegotiation):
    """Documents are XML whatever the client accepts; errors are the contract's JSON. A CAP
    client sending `Accept: application/cap+xml` must get a 404 it can read, not a 406."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class _CapView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]  # errors only: documents are built by notifications.cap
    content_negotiation_class = _ErrorsInJson


def _sender(request: Request, centre: MonitoringCentre) -> str:
    """`{centre-slug}@{host}`: the centre is the originator, the host (checked against
    ALLOWED_HOSTS by Django) makes it unique across deployments; no space, comma, < or &."""
    domain, _ = split_domain_port(request.get_host())
    return f"{centre.slug}@{domain or 'localhost'}"


def _document(body: bytes, media_type: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    patch_vary_headers(response, ("Authorization", "Cookie"))
    if private:
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, public=True, max_age=60)
    return response


def _may_see_reports(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in TRIAGE_ROLES and user.is_approved)


def critical_reports_for(user: Any) -> QuerySet:
    """Critical reports of the centres this operator or supervisor serves; none for anyone
    else (members, police, vetting officers, administrators, other centres' staff)."""
    report_model = apps.get_model("reporting", "Report")
    if not _may_see_reports(user):
        return report_model.objects.none()
    return report_model.objects.filter(
        priority=_CRITICAL, centre__in=user.centres.values("pk")
    ).select_related("centre", "category")


def _critical(report: Any) -> cap.CriticalReport:
    return cap.CriticalReport(
        pk=report.pk,
        reference=report.reference,
        centre_slug=report.centre.slug,
        centre_name=report.centre.name,
        category_code=report.category.code,
        label_fr=report.category.label_fr,
        label_en=report.category.label_en,
        location=report.location,
        created_at=report.created_at,
    )


class CapIndex(_CapView):
    @extend_schema(
        summary="CAP feed: Atom index of current broadcasts and critical alerts",
        description=(
            "An Atom feed whose entries link (`rel=alternate`, `type=application/cap+xml`) to "
            "one CAP 1.2 document each: unexpired area broadcasts for everyone; for operators "
            f"and supervisors, also their centres' open critical reports of the last "
            f"{ALERT_WINDOW // timedelta(hours=1)} hours."
        ),
        responses={(200, cap.ATOM_MEDIA_TYPE): _ATOM},
        operation_id="cap_index",
    )
    def get(self, request: Request) -> HttpResponse:
        now = timezone.now()
        broadcasts = Broadcast.objects.filter(expires_at__gt=now).select_related("centre")
        entries = [
            self._entry(
                request,
                link=reverse("cap-broadcast", args=[broadcast.pk]),
                title=broadcast.title,
                updated=broadcast.created_at,
                author=broadcast.centre.name,
                summary=broadcast.body,
            )
            for broadcast in broadcasts.order_by("-created_at")[:MAX_ENTRIES]
        ]
        private = _may_see_reports(request.user)
        reports = critical_reports_for(request.user).filter(
            status__in=_OPEN, created_at__gte=now - ALERT_WINDOW
        )
        entries += [
            self._entry(
                request,
                link=reverse("cap-report", args=[report.pk]),
                title=f"{report.category.label_fr} ({report.reference})",
                updated=report.created_at,
                author=report.centre.name,
            )
            for report in reports.order_by("-created_at")[:MAX_ENTRIES]
        ]
        body = cap.atom_index(
            cap.entries_sorted(entries),
            feed_id=request.build_absolute_uri(reverse("cap-index")),
            self_link=request.build_absolute_uri(reverse("cap-index")),
            title="Vigie — alertes CAP / CAP alerts",
            now=now,
        )
        return _document(body, cap.ATOM_MEDIA_TYPE, private=private)

    @staticmethod
    def _entry(request: Request, *, link: str, **fields: Any) -> cap.FeedEntry:
        url = request.build_absolute_uri(link)
        return cap.FeedEntry(id=url, link=url, **fields)


class BroadcastAlert(_CapView):
    @extend_schema(
        summary="One area broadcast as a CAP 1.2 alert (public)",
        responses={(200, cap.CAP_MEDIA_TYPE): _CAP_ALERT, 404: _NO_SUCH},
        operation_id="cap_broadcast",
    )
    def get(self, request: Request, broadcast_id: int) -> HttpResponse:
        broadcast = Broadcast.objects.select_related("centre").filter(pk=broadcast_id).first()
        if broadcast is None:
            raise NotFound("No such broadcast.")
        sender = _sender(request, broadcast.centre)
        return _document(
            cap.broadcast_alert(broadcast, sender=sender), cap.CAP_MEDIA_TYPE, private=False
        )


class ReportAlert(_CapView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One critical report as a restricted CAP 1.2 alert",
        description=(
            "For operators and supervisors of the report's centre only. The description is "
            "left out and the position is rounded to ~100 m (a 100 m `circle`)."
        ),
        responses={
            (200, cap.CAP_MEDIA_TYPE): _CAP_ALERT,
            401: _NOT_SIGNED_IN,
            404: _NO_SUCH,
        },
        operation_id="cap_report",
    )
    def get(self, request: Request, report_id: int) -> HttpResponse:
        report = critical_reports_for(request.user).filter(pk=report_id).first()
        if report is None:
            raise NotFound("No such alert.")
        critical = _critical(report)
        sender = _sender(request, report.centre)
        return _document(
            cap.report_alert(critical, sender=sender), cap.CAP_MEDIA_TYPE, private=True
        )
