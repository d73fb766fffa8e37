"""A signal becomes a report: routed, numbered, stored with its media and announced, at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import MonitoringCentre, User
from accounts.queries import centre_covering
from accounts.services import OutsideJurisdiction
from common.counters import next_value
from common.errors import RuleBroken
from live.services import publish
from reporting.media import CheckedMedia
from reporting.models import ALERT_SOURCES, Attachment, Category, Priority, Report
from reporting.payloads import report_payload
from reporting.tasks import link_cameras


class AccuracyTooPoor(RuleBroken):
    code = "accuracy_too_poor"


def next_reference(centre: MonitoringCentre, when: datetime) -> str:
    """`NCE-2026-000123`: the centre's prefix, the local year, and that year's next number."""
    year = timezone.localtime(when).year
    number = next_value(f"report:{centre.pk}:{year}")
    return f"{centre.reference_prefix}-{year}-{number:06d}"


def create_report(
    *,
    source: str,
    category: Category,
    location: Point,
    author: User | None = None,
    description: str = "",
    accuracy_m: float | None = None,
    occurred_at: datetime | None = None,
    media: Sequence[CheckedMedia] = (),
    priority: str | None = None,
) -> Report:
    """Store a report from any source and announce it to its centre, in one transaction.

    Media must already be checked (reporting.media); their files are written inside the
    transaction and removed again if it fails, so a refused report leaves nothing behind.
    """
    if accuracy_m is not None and accuracy_m > settings.VIGIE_MAX_ACCURACY_M:
        raise AccuracyTooPoor(
            f"The position is only known to {accuracy_m:.0f} m; at most "
            f"{settings.VIGIE_MAX_ACCURACY_M} m is accepted. Move the pin to the exact place.",
            fields={"accuracy_m": [f"at most {settings.VIGIE_MAX_ACCURACY_M}"]},
        )
    stored: list[str] = []
    try:
        with transaction.atomic():
            report = _create(
                source=source,
                category=category,
                location=location,
                author=author,
                description=description,
                accuracy_m=accuracy_m,
                occurred_at=occurred_at,
                media=media,
                priority=priority,
                stored=stored,
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return report


def _create(*, media: Sequence[CheckedMedia], stored: list[str], **fields) -> Report:
    centre = centre_covering(fields["location"])
    if centre is None:
        raise OutsideJurisdiction(fields={"location": ["outside every jurisdiction"]})
    now = timezone.now()
    priority = fields.pop("priority") or fields["category"].default_priority
    if fields["source"] in ALERT_SOURCES:
        priority = Priority.CRITICAL
    report = Report.objects.create(
        reference=next_reference(centre, now), centre=centre, priority=priority, **fields
    )
    for item in media:
        attachment = Attachment(
            report=report,
            kind=item.kind,
            content_type=item.content_type,
            size=len(item.content),
            sha256=item.sha256,
        )
        attachment.file.save(item.storage_name(), ContentFile(item.content), save=False)
        stored.append(attachment.file.name)
        attachment.save()
    publish(centre, "report.created", report_payload(report))
    # Which cameras can see it: after commit, in a task, so the sender's answer never waits.
    transaction.on_commit(lambda: link_cameras.delay(report.pk))
    return report
