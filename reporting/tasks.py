"""Background work on reports. Tasks take ids and call one service (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from cameras.services import link_report
from reporting.models import Report
from reporting.services import escalation


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def link_cameras(report_id: int) -> int:
    """Record which cameras can see the report; retried (it replaces, never duplicates)."""
    report = Report.objects.filter(pk=report_id).only("location", "centre_id").first()
    if report is None:  # purged or rolled back meanwhile: nothing to link
        return 0
    return len(
        link_report(report_id=report.pk, location=report.location, centre_id=report.centre_id)
    )


@shared_task
def escalate_overdue() -> int:
    """Run by celery beat every VIGIE_ESCALATION_SCAN_S; overlapping runs are harmless."""
    return len(escalation.escalate_overdue())
