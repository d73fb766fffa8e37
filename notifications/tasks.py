"""Sending the outbox. Tasks call one service and own only the retry policy (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task
def send_pushes() -> dict[str, int]:
    """Woken after each commit that queued pushes, and run by the beat every
    VIGIE_PUSH_SCAN_S for retries and for rows whose wake-up was lost."""
    return services.send_all_pending()
