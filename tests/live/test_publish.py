"""Record first, then broadcast: an event is a row first, and reaches consoles after commit."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from live.models import Event
from live.services import centre_group, publish

pytestmark = pytest.mark.django_db(transaction=True)


async def _listen(group: str):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return layer, channel


def test_seq_counts_each_centres_events_without_gaps(paris, saint_denis):
    with transaction.atomic():
        for _ in range(3):
            publish(paris, "test.ping", {})
        publish(saint_denis, "test.ping", {})
    assert list(Event.objects.filter(centre=paris).values_list("seq", flat=True)) == [1, 2, 3]
    assert list(Event.objects.filter(centre=saint_denis).values_list("seq", flat=True)) == [1]


def test_a_rolled_back_event_leaves_no_gap(paris):
    with transaction.atomic():
        publish(paris, "test.ping", {"n": 1})
    with pytest.raises(_ChangeFailed):
        _failing_change(paris)
    with transaction.atomic():
        publish(paris, "test.ping", {"n": 3})
    assert [(e.seq, e.data["n"]) for e in Event.objects.order_by("seq")] == [(1, 1), (2, 3)]


def test_nothing_is_sent_before_commit_and_the_frame_arrives_after(paris):
    async def scenario():
        layer, channel = await _listen(centre_group(paris.pk))
        # One receive, never cancelled: cancelling would drop the pub/sub subscription.
        received = asyncio.create_task(layer.receive(channel))

        def write_then_look():
            with transaction.atomic():
                publish(paris, "report.created", {"reference": "PAR-2026-000001"})
                time.sleep(0.3)  # the event loop is free meanwhile: a frame would arrive now
                return received.done()

        arrived_before_commit = await sync_to_async(write_then_look)()
        message = await asyncio.wait_for(received, 2)
        await layer.group_discard(centre_group(paris.pk), channel)
        return arrived_before_commit, message

    arrived_before_commit, message = async_to_sync(scenario)()
    assert arrived_before_commit is False
    assert message["type"] == "console.event"
    event = Event.objects.get()
    assert json.loads(message["frame"]) == {
        "centre": paris.pk,
        "seq": 1,
        "type": "report.created",
        "at": event.created_at.isoformat(),
        "data": {"reference": "PAR-2026-000001"},
    }


class _ChangeFailed(Exception):
    pass


def _failing_change(centre):
    with transaction.atomic():
        publish(centre, "report.created", {})
        raise _ChangeFailed


def test_a_rolled_back_change_is_never_broadcast(paris):
    async def scenario():
        layer, channel = await _listen(centre_group(paris.pk))
        received = asyncio.create_task(layer.receive(channel))
        with pytest.raises(_ChangeFailed):
            await sync_to_async(_failing_change)(paris)
        await asyncio.sleep(0.5)
        arrived = received.done()
        received.cancel()
        return arrived

    assert async_to_sync(scenario)() is False
    assert not Event.objects.exists()


def test_publish_outside_a_transaction_is_refused(paris):
    with pytest.raises(RuntimeError):
        publish(paris, "test.ping", {})
    assert not Event.objects.exists()
