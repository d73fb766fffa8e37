"""Background work on alerts. Tasks take ids and call one service (STYLE.md rule 6)."""

from __future__ import annotations

from celery import shared_task

from alerts import services, steering
from alerts.models import Alert


@shared_task
def steer_cameras(alert_id: int) -> int:
    """Point the nearest PTZ cameras at a fresh alert; not retried as a whole (a retry would
    re-point cameras an operator may already have taken over)."""
    alert = Alert.objects.select_related("report").filter(pk=alert_id).first()
    if alert is None:
        return 0
    return len(steering.steer_cameras(alert))


@shared_task
def supervise_devices() -> int:
    """Run by celery beat every VIGIE_DEVICE_SCAN_S; overlapping runs are harmless."""
    return len(services.mark_silent_devices_offline())
