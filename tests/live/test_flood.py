"""Sockets held by people: a flooding client is throttled then closed (4429) without hurting
the other consoles, and a socket whose sign-in no longer holds (session expired or signed out,
app token revoked) is closed 4401 at its next frame and on the periodic check.

On the real Redis channel layer, through the real ASGI application.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from accounts.services import issue_app_token
from config.asgi import application
from live.consumers import FrameBudget
from live.services import publish


def on_socket(test):
    """A test that opens sockets: committed rows (the consumer reads from its own thread)."""
    return pytest.mark.django_db(transaction=True)(pytest.mark.asyncio(test))


REDIS_LAYER = {
    "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "CONFIG": {"hosts": [django_settings.REDIS_URL or "redis://127.0.0.1:6379/15"]},
}


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {"default": REDIS_LAYER}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def open_socket(path: str, *, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def console_of(user) -> tuple[WebsocketCommunicator, str]:
    cookie = await sync_to_async(session_cookie)(user)
    communicator = await open_socket("/ws/console/", cookie=cookie)
    hello = json.loads(await communicator.receive_from(3))
    assert hello["type"] == "console.hello"
    return communicator, cookie


async def police_by_token(user) -> tuple[WebsocketCommunicator, str]:
    token = await sync_to_async(issue_app_token)(user)
    communicator = await open_socket(f"/ws/police/?token={token}")
    hello = json.loads(await communicator.receive_from(3))
    assert hello["type"] == "police.hello"
    return communicator, token


async def close_code(communicator, timeout: float = 5.0) -> tuple[int | None, list[dict]]:
    """Read until the socket closes: its close code, and the frames seen before it."""
    seen = []
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code"), seen
        seen.append(json.loads(output["text"]))


def ping(centre, n: int) -> None:
    with transaction.atomic():
        publish(centre, "test.ping", {"n": n})


# --- the budget itself --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_allows_a_burst_then_drops_then_closes():
    clock = Clock()
    budget = FrameBudget(rate=20, burst=40, clock=clock)
    verdicts = [budget.take() for _ in range(81)]
    assert verdicts[:40] == [FrameBudget.OK] * 40
    assert verdicts[40:80] == [FrameBudget.DROP] * 40
    assert verdicts[80] == FrameBudget.CLOSE


def test_a_client_back_under_the_rate_recovers():
    clock = Clock()
    budget = FrameBudget(rate=20, burst=40, clock=clock)
    for _ in range(60):  # 20 frames over the budget: dropped, not yet closed
        budget.take()
    clock.now += 3.0  # 60 tokens' worth of quiet
    assert budget.take() == FrameBudget.OK
    for _ in range(300):  # ten a second for 30 s: always within the rate
        clock.now += 0.1
        assert budget.take() == FrameBudget.OK


# --- flooding a real socket ---------------------------------------------------------------------


@on_socket
async def test_a_flooding_console_is_closed_4429_and_the_other_console_keeps_up(
    redis_layer, operator, supervisor, paris
):
    flooder, _ = await console_of(operator)
    colleague, _ = await console_of(supervisor)

    for _ in range(3000):
        await flooder.send_to(text_data='{"type": "pong"}')
    await sync_to_async(ping)(paris, 1)

    frame = json.loads(await colleague.receive_from(2))
    assert (frame["type"], frame["data"]) == ("test.ping", {"n": 1})

    code, seen = await close_code(flooder)
    assert code == 4429
    notices = [f for f in seen if f.get("code") == "throttled"]
    assert len(notices) == 1  # told once, not once per dropped frame

    await sync_to_async(ping)(paris, 2)
    frame = json.loads(await colleague.receive_from(2))
    assert frame["data"] == {"n": 2}
    await colleague.disconnect()


@on_socket
async def test_frames_within_the_burst_are_all_answered(redis_layer, operator, paris, settings):
    settings.VIGIE_WS_FRAMES_BURST = 40
    communicator, _ = await console_of(operator)
    for _ in range(30):
        await communicator.send_to(text_data='{"type": "nonsense"}')
    answers = [json.loads(await communicator.receive_from(2)) for _ in range(30)]
    assert all(a["type"] == "console.error" and "nonsense" in a["message"] for a in answers)
    assert await communicator.receive_nothing(0.2)
    await communicator.disconnect()


@on_socket
async def test_police_position_frames_fall_under_the_budget(
    redis_layer, police_officer, unit, settings
):
    settings.VIGIE_WS_FRAMES_BURST = 5
    communicator, _ = await police_by_token(police_officer)
    position = {
        "type": "position",
        "unit": unit.pk,
        "location": {"type": "Point", "coordinates": [2.3522, 48.8566]},
        "recorded_at": timezone.now().isoformat(),
        "accuracy_m": 5,
    }
    for n in range(200):
        await communicator.send_to(text_data=json.dumps({**position, "request_id": n}))
    code, seen = await close_code(communicator)
    assert code == 4429
    results = [f for f in seen if f["type"] == "police.result"]
    # The burst, and what refilled while those were recorded: a handful of the 200.
    assert 5 <= len(results) < 40
    assert any(f.get("code") == "throttled" for f in seen)


@on_socket
async def test_an_anonymous_police_socket_cannot_flood_before_signing_in(redis_layer, settings):
    settings.VIGIE_WS_FRAMES_BURST = 5
    communicator = await open_socket("/ws/police/")
    for _ in range(50):
        await communicator.send_to(text_data='{"type": "auth", "token": "guess"}')
    code, _ = await close_code(communicator)
    assert code in (4401, 4429)  # a wrong token closes it at once; it never gets 50 tries


# --- sign-ins that stop holding ------------------------------------------------------------------


@on_socket
async def test_a_console_signed_out_is_closed_at_its_next_frame(redis_layer, operator):
    communicator, cookie = await console_of(operator)
    await sync_to_async(Session.objects.filter(session_key=cookie).delete)()
    await communicator.send_to(text_data='{"type": "pong"}')
    code, _ = await close_code(communicator)
    assert code == 4401


@on_socket
async def test_a_console_whose_session_expired_is_closed_by_the_periodic_check(
    redis_layer, operator, settings
):
    settings.VIGIE_WS_AUTH_CHECK_S = 1
    communicator, cookie = await console_of(operator)
    past = timezone.now() - timedelta(seconds=1)
    await sync_to_async(Session.objects.filter(session_key=cookie).update)(expire_date=past)
    code, _ = await close_code(communicator, timeout=4)
    assert code == 4401


@on_socket
async def test_a_console_left_idle_past_the_limit_is_closed(redis_layer, operator):
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.sessions import SEEN_AT

    communicator, cookie = await console_of(operator)

    def left_idle() -> None:
        session = SessionStore(cookie)
        session[SEEN_AT] = int(time.time()) - 24 * 3600  # untouched since yesterday
        session.save()

    await sync_to_async(left_idle)()
    await communicator.send_to(text_data='{"type": "pong"}')
    code, _ = await close_code(communicator)
    assert code == 4401


@on_socket
async def test_a_live_session_keeps_its_console_open(redis_layer, operator, paris, settings):
    settings.VIGIE_WS_AUTH_CHECK_S = 1
    communicator, _ = await console_of(operator)
    await asyncio.sleep(1.5)  # a periodic check has run
    await communicator.send_to(text_data='{"type": "pong"}')
    await sync_to_async(ping)(paris, 1)
    frame = json.loads(await communicator.receive_from(2))
    assert frame["data"] == {"n": 1}
    await communicator.disconnect()


@on_socket
async def test_a_deactivated_operator_is_closed(redis_layer, operator):
    communicator, _ = await console_of(operator)
    await sync_to_async(type(operator).objects.filter(pk=operator.pk).update)(is_active=False)
    await communicator.send_to(text_data='{"type": "pong"}')
    code, _ = await close_code(communicator)
    assert code == 4401


@on_socket
async def test_a_police_socket_whose_token_is_revoked_is_closed(
    redis_layer, police_officer, unit, settings
):
    settings.VIGIE_WS_AUTH_CHECK_S = 1
    communicator, _ = await police_by_token(police_officer)
    await sync_to_async(AuthToken.objects.filter(user=police_officer).delete)()
    code, _ = await close_code(communicator, timeout=4)
    assert code == 4401


@on_socket
async def test_a_police_socket_whose_token_expired_is_closed_at_its_next_frame(
    redis_layer, police_officer, unit
):
    communicator, _ = await police_by_token(police_officer)
    past = timezone.now() - timedelta(seconds=1)
    await sync_to_async(AuthToken.objects.filter(user=police_officer).update)(expiry=past)
    await communicator.send_to(text_data='{"type": "pong"}')
    code, _ = await close_code(communicator)
    assert code == 4401


@on_socket
async def test_a_police_web_app_signed_out_is_closed(redis_layer, police_officer, unit):
    cookie = await sync_to_async(session_cookie)(police_officer)
    communicator = await open_socket("/ws/police/", cookie=cookie)
    assert json.loads(await communicator.receive_from(3))["type"] == "police.hello"
    await sync_to_async(Session.objects.filter(session_key=cookie).delete)()
    await communicator.send_to(text_data='{"type": "pong"}')
    code, _ = await close_code(communicator)
    assert code == 4401
