"""Background work on dispatch. Tasks take ids and call one service (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from dispatch import services


@shared_task
def publish_unit_positions() -> int:
    """Run by celery beat every VIGIE_UNIT_POSITION_EVERY_S; overlapping runs are harmless."""
    return services.publish_unit_positions()
