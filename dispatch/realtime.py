"""The police app's fast path: frames to a unit's sockets, after commit.

The record is the Intervention row: a police app that was away reads its current dispatch
through the API on connect, so a frame lost here costs nothing but a moment.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

log = logging.getLogger(__name__)


def unit_group(unit_id: int) -> str:
    return f"unit.{unit_id}"


def tell_unit(unit_id: int, frame: dict[str, Any]) -> None:
    """Send one frame to every police app socket of the unit. Call after commit."""
    text = json.dumps(frame, cls=DjangoJSONEncoder)
    try:
        async_to_sync(get_channel_layer().group_send)(
            unit_group(unit_id), {"type": "police.frame", "frame": text}
        )
    except Exception:
        log.exception("could not tell unit %s; its app reads its dispatch on reconnect", unit_id)
