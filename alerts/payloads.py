"""What the console is told about a device (`device.offline`, `device.online`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.models import Device


def device_payload(device: Device, *, last_heartbeat_at: datetime | None = None) -> dict[str, Any]:
    last = last_heartbeat_at or device.last_heartbeat_at
    return {
        "id": device.pk,
        "kind": device.kind,
        "name": device.name,
        "location": {"type": "Point", "coordinates": [device.location.x, device.location.y]},
        "online": device.online,
        "last_heartbeat_at": last.isoformat() if last else None,
        "heartbeat_interval_s": device.heartbeat_interval_s,
        "sip_uri": device.sip_uri,
    }
