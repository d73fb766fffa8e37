"""Read side of alerts: who may see which devices."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from alerts.models import Device


def devices_visible_to(user: User) -> QuerySet[Device]:
    """The devices of the centres this person serves (all of them for an administrator)."""
    devices = Device.objects.filter(in_app=False)
    if user.is_superuser:
        return devices
    return devices.filter(centre__in=user.centres.values("pk"))
