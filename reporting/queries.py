"""Read-side questions about reports, scoped by who asks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from cameras.models import CameraLink
from common.errors import NotAllowed, NotFound
from reporting.models import Report


def report_for_user(
    user: User, report_id: int, *, lock: bool = False, shared: bool = False
) -> Report:
    """The report if this user may act on it, else the contract's 404 (whether or not it
    exists).

    `shared=True` is for reading only (the report, its media, its camera links): it also
    answers with a report another centre shared with one of the user's centres. Without it,
    such a report is a 403 `shared_read_only`, so triage and dispatch stay with the report's
    own centre however the caller forgets to check."""
    reports = Report.objects.visible_to(user, shared=shared)
    if lock:
        reports = reports.select_for_update(of=("self",))
    report = reports.filter(pk=report_id).first()
    if report is None:
        if not shared and Report.objects.visible_to(user).filter(pk=report_id).exists():
            raise NotAllowed(
                "This report was shared with your centre to read; its own centre handles it.",
                code="shared_read_only",
            )
        raise NotFound("No such report.")
    return report


def with_details(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Everything a report's representation reads, in a fixed number of queries."""
    return reports.select_related("category", "acknowledged_by").prefetch_related(
        "attachments",
        Prefetch(
            "camera_links",
            queryset=CameraLink.objects.select_related("camera").order_by("rank"),
        ),
    )


def likely_duplicates(
    report: Report, *, radius_m: int | None = None, window: timedelta | None = None
) -> QuerySet[Report]:
    """Reports of the same category near in space and time, nearest first (PostGIS)."""
    radius_m = radius_m or settings.VIGIE_DUPLICATE_RADIUS_M
    window = window or timedelta(minutes=settings.VIGIE_DUPLICATE_WINDOW_MINUTES)
    return (
        Report.objects.filter(
            centre_id=report.centre_id,
            category_id=report.category_id,
            created_at__range=(report.created_at - window, report.created_at + window),
            location__dwithin=(report.location, D(m=radius_m)),
        )
        .exclude(pk=report.pk)
        .annotate(distance=Distance("location", report.location))
        .order_by("distance", "-created_at")
    )
