"""The console WebSocket: who may listen, replay with `since`, the seam, gaps, keep-alive.

Every test runs twice: on the in-memory channel layer (`make run`'s) and on real Redis
(production's), through the real ASGI application with its origin and session checks.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client

from config.asgi import application
from live.consumers import ConsoleConsumer
from live.models import Event
from live.services import publish
from reporting.models import Report
from tests.factories import file_report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LAYERS = {
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [django_settings.REDIS_URL or "redis://127.0.0.1:6379/15"]},
    },
}


@pytest.fixture(params=sorted(LAYERS))
def layer(request, settings):
    settings.CHANNEL_LAYERS = {"default": LAYERS[request.param]}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def console(user=None, since: str | None = None) -> WebsocketCommunicator:
    path = "/ws/console/" + (f"?since={since}" if since is not None else "")
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frames(communicator, count: int, timeout: float = 3.0) -> list[dict]:
    return [json.loads(await communicator.receive_from(timeout)) for _ in range(count)]


def ping(centre, n: int) -> None:
    with transaction.atomic():
        publish(centre, "test.ping", {"n": n})


async def test_without_a_session_the_console_is_closed_4401(layer, paris):
    communicator = await console(None)
    assert (await communicator.receive_output(2))["code"] == 4401


@pytest.mark.parametrize("who", ["resident", "police_officer", "vetting_officer"])
async def test_only_operators_and_supervisors_may_listen(layer, request, who):
    user = await sync_to_async(request.getfixturevalue)(who)
    communicator = await console(user)
    assert (await communicator.receive_output(2))["code"] == 4403


async def test_a_foreign_origin_is_refused(layer, operator):
    cookie = await sync_to_async(session_cookie)(operator)
    communicator = WebsocketCommunicator(
        application,
        "/ws/console/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_hello_then_live_events_of_the_centre(layer, operator, resident, paris):
    await sync_to_async(ping)(paris, 1)
    communicator = await console(operator)
    (hello,) = await frames(communicator, 1)
    assert hello == {
        "type": "console.hello",
        "user": "operator",
        "centres": [{"id": paris.pk, "seq": 1}],
    }

    report = await sync_to_async(file_report)(resident)

    (frame,) = await frames(communicator, 1)
    assert (frame["centre"], frame["seq"], frame["type"]) == (paris.pk, 2, "report.created")
    assert frame["data"]["reference"] == report.reference
    await communicator.disconnect()


async def test_an_operator_never_hears_another_centre(
    layer, outsider_operator, resident, paris, saint_denis
):
    communicator = await console(outsider_operator)
    await frames(communicator, 1)  # hello
    await sync_to_async(file_report)(resident)  # in Paris
    assert await communicator.receive_nothing(0.5)
    await communicator.disconnect()


async def test_since_replays_what_was_missed_in_order(layer, operator, paris):
    for n in range(1, 6):
        await sync_to_async(ping)(paris, n)
    communicator = await console(operator, since="2")
    got = await frames(communicator, 4)
    assert got[0]["type"] == "console.hello"
    assert [f["seq"] for f in got[1:]] == [3, 4, 5]
    assert [f["data"]["n"] for f in got[1:]] == [3, 4, 5]
    assert await communicator.receive_nothing(0.3)
    await communicator.disconnect()


async def test_events_published_during_the_replay_are_neither_lost_nor_doubled(
    layer, operator, paris
):
    def backlog():
        with transaction.atomic():
            for n in range(1, 1201):  # three replay batches
                publish(paris, "test.ping", {"n": n})

    await sync_to_async(backlog)()
    stop = threading.Event()

    def keep_publishing():
        try:
            n = 1201
            while not stop.is_set() and n <= 1260:
                ping(paris, n)
                n += 1
        finally:
            connection.close()

    # Published from a worker thread of this event loop, as a view under daphne would.
    writer = asyncio.ensure_future(sync_to_async(keep_publishing, thread_sensitive=False)())
    communicator = await console(operator, since="0")
    await frames(communicator, 1)  # hello
    seqs = []
    try:
        while len(seqs) < 1260:
            seqs.append((await frames(communicator, 1, timeout=10))[0]["seq"])
    finally:
        stop.set()
        await writer
    total = await sync_to_async(Event.objects.filter(centre=paris).count)()
    seqs += [f["seq"] for f in await frames(communicator, total - len(seqs), timeout=10)]
    assert seqs == list(range(1, total + 1))
    assert await communicator.receive_nothing(0.3)
    await communicator.disconnect()


async def test_a_dropped_frame_is_filled_from_the_table(layer, operator, paris):
    communicator = await console(operator)
    await frames(communicator, 1)

    def lost_then_next():
        with transaction.atomic():
            from common.counters import next_value

            # Committed but never broadcast: what a full channel-layer queue does to a frame.
            Event.objects.create(
                centre=paris,
                seq=next_value(f"event:{paris.pk}"),
                type="test.ping",
                data={"n": "lost"},
            )
        ping(paris, "next")

    await sync_to_async(lost_then_next)()
    got = await frames(communicator, 2)
    assert [(f["seq"], f["data"]["n"]) for f in got] == [(1, "lost"), (2, "next")]
    await communicator.disconnect()


async def test_the_page_can_ask_for_a_replay(layer, operator, paris):
    await sync_to_async(ping)(paris, 1)
    await sync_to_async(ping)(paris, 2)
    communicator = await console(operator)
    await frames(communicator, 1)
    await communicator.send_json_to({"type": "replay", "since": {str(paris.pk): 0}})
    assert [f["seq"] for f in await frames(communicator, 2)] == [1, 2]
    await communicator.disconnect()


async def test_reconnecting_after_a_restart_gets_the_missed_events(layer, operator, paris):
    communicator = await console(operator)
    (hello,) = await frames(communicator, 1)
    held = hello["centres"][0]["seq"]
    await communicator.disconnect()
    channel_layers.backends.clear()  # the server process is gone, and its layer with it

    for n in range(3):
        await sync_to_async(ping)(paris, n)

    again = await console(operator, since=f"{paris.pk}:{held}")
    got = await frames(again, 4)
    assert [f["seq"] for f in got[1:]] == [held + 1, held + 2, held + 3]
    await again.disconnect()


@pytest.mark.parametrize("since", ["abc", "-1", "999:3"])
async def test_a_bad_since_is_closed_4400(layer, operator, paris, since):
    communicator = await console(operator, since=since)
    assert (await communicator.receive_json_from(2))["type"] == "console.error"
    assert (await communicator.receive_output(2))["code"] == 4400


async def test_a_silent_page_is_pinged_then_closed(layer, operator, paris, monkeypatch):
    monkeypatch.setattr(ConsoleConsumer, "ping_every_s", 0.1)
    monkeypatch.setattr(ConsoleConsumer, "dead_after_s", 0.35)
    communicator = await console(operator)
    await frames(communicator, 1)
    assert (await frames(communicator, 1))[0] == {"type": "ping"}
    await communicator.send_json_to({"type": "pong"})
    closed = None
    for _ in range(20):
        output = await communicator.receive_output(1)
        if output["type"] == "websocket.close":
            closed = output
            break
    assert closed == {"type": "websocket.close", "code": 4408}


async def test_acknowledging_from_the_console_uses_the_service_and_is_seen(
    layer, operator, resident, paris
):
    report = await sync_to_async(file_report)(resident)
    communicator = await console(operator)
    await frames(communicator, 1)
    await communicator.send_json_to(
        {"type": "action", "action": "acknowledge", "report": report.pk, "request_id": "r1"}
    )
    got = await frames(communicator, 2)
    result = next(f for f in got if f["type"] == "action.result")
    update = next(f for f in got if f["type"] == "report.updated")
    assert result["ok"] is True
    assert result["data"]["status"] == "acknowledged"
    assert update["data"]["acknowledged_by"] == "operator"
    refreshed = await sync_to_async(Report.objects.get)(pk=report.pk)
    assert refreshed.acknowledged_by_id == operator.pk

    await communicator.send_json_to(
        {"type": "action", "action": "acknowledge", "report": report.pk, "request_id": "r2"}
    )
    (again,) = await frames(communicator, 1)
    assert (again["ok"], again["error"]["code"]) == (False, "illegal_transition")
    await communicator.disconnect()


async def test_an_action_on_another_centres_report_is_not_found(
    layer, outsider_operator, resident, paris
):
    report = await sync_to_async(file_report)(resident)
    communicator = await console(outsider_operator)
    await frames(communicator, 1)
    await communicator.send_json_to(
        {"type": "action", "action": "acknowledge", "report": report.pk, "request_id": 1}
    )
    (result,) = await frames(communicator, 1)
    assert (result["ok"], result["error"]["code"]) == (False, "not_found")
    await communicator.disconnect()


async def test_garbage_from_the_page_is_answered_not_fatal(layer, operator, paris):
    communicator = await console(operator)
    await frames(communicator, 1)
    await communicator.send_to(text_data="not json")
    assert (await frames(communicator, 1))[0]["type"] == "console.error"
    await communicator.send_json_to({"type": "action", "action": "explode"})
    (result,) = await frames(communicator, 1)
    assert result["error"]["code"] == "unknown_action"
    await communicator.disconnect()
