"""Record first, then broadcast (STYLE.md rule 5)."""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from accounts.models import MonitoringCentre
from common.counters import next_value
from live.models import Event

log = logging.getLogger(__name__)


def centre_group(centre_id: int) -> str:
    return f"centre.{centre_id}"


def publish(centre: MonitoringCentre | int, type: str, data: dict[str, Any]) -> Event:
    """Write the event in the caller's transaction; send it to the centre's consoles after
    commit. Must be called inside `transaction.atomic()`."""
    centre_id = centre if isinstance(centre, int) else centre.pk
    # Round-trip through JSON now, so the row holds exactly what consoles will be sent.
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    event = Event.objects.create(
        centre_id=centre_id, seq=next_value(f"event:{centre_id}"), type=type, data=data
    )
    transaction.on_commit(lambda: _broadcast(event))
    return event


def _broadcast(event: Event) -> None:
    # The frame is serialised once here; every console socket gets the same text.
    frame = json.dumps(event.as_frame(), cls=DjangoJSONEncoder)
    try:
        async_to_sync(get_channel_layer().group_send)(
            centre_group(event.centre_id),
            {"type": "console.event", "centre": event.centre_id, "seq": event.seq, "frame": frame},
        )
    except Exception:
        # The event is committed: a console that misses it sees the gap in seq and replays.
        log.exception("could not broadcast event %s; consoles will replay it", event)
