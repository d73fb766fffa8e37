"""Background work of the privacy app. Tasks are thin (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from privacy import retention


@shared_task
def purge_expired() -> int:
    """Run by celery beat every VIGIE_RETENTION_SCAN_S: how many rows went (0 when none).
    Overlapping runs are harmless: each batch locks its reports and skips locked ones."""
    return sum(retention.purge_expired()["total"].values())
