"""The police app's WebSocket (`/ws/police/`): who may connect, what the hello carries, the
unit's dispatches as they happen (after commit, to that unit only), and the app's own frames.

Through the real ASGI application with its origin and session checks, as
tests/live/test_console.py does. Delivery to the unit's group (and to no other) is tested on
the in-memory channel layer and on real Redis; the other tests do not depend on the layer
and run on the in-memory one only, to keep the transactional set small.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client

from accounts.models import Role
from accounts.services import issue_app_token
from config.asgi import application
from dispatch import consumers
from dispatch.models import Intervention, InterventionEvent, State, Unit, UnitPosition
from dispatch.services import (
    create_unit,
    dispatch_unit,
    reassign_intervention,
    transition_intervention,
)
from live.models import Event
from tests.factories import PARIS_HOTEL_DE_VILLE, UserFactory, file_report, moved, point_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LAYERS = {
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [django_settings.REDIS_URL or "redis://127.0.0.1:6379/15"]},
    },
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# For the tests whose frames never cross the channel layer.
MEMORY_ONLY = pytest.mark.parametrize("layer", ["memory"], indirect=True)


@pytest.fixture(params=sorted(LAYERS))
def layer(request, settings):
    settings.CHANNEL_LAYERS = {"default": LAYERS[request.param]}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


@pytest.fixture
def colleague_unit(paris):
    """Another Paris car, crewed by `colleague`: the socket that must hear nothing."""
    colleague = UserFactory(username="colleague", role=Role.POLICE, centre=paris)
    return create_unit(centre=paris, callsign="PS-22", members=[colleague])


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def police_socket(*, token: str | None = None, session_of=None) -> WebsocketCommunicator:
    path = "/ws/police/" + (f"?token={token}" if token else "")
    headers = [(b"origin", b"http://localhost")]
    if session_of is not None:
        cookie = await sync_to_async(session_cookie)(session_of)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def signed_in(user) -> WebsocketCommunicator:
    """The app's socket, signed in with a token in the query, its hello read."""
    communicator = await police_socket(token=await sync_to_async(issue_app_token)(user))
    hello = await communicator.receive_json_from(3)
    assert hello["type"] == "police.hello", hello
    return communicator


async def frames(communicator, count: int, timeout: float = 3.0) -> list[dict]:
    return [json.loads(await communicator.receive_from(timeout)) for _ in range(count)]


async def until(communicator, kind: str, timeout: float = 3.0) -> list[tuple[str, dict]]:
    """Every frame up to and including the first of `kind`, as (type, data)."""
    got = []
    while not got or got[-1][0] != kind:
        frame = await communicator.receive_json_from(timeout)
        got.append((frame["type"], frame.get("data")))
    return got


async def closed_with(communicator, timeout: float = 3.0) -> int | None:
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


# --- signing in ----------------------------------------------------------------------------


@MEMORY_ONLY
async def test_a_socket_that_does_not_sign_in_is_closed_4401(
    layer, police_officer, unit, monkeypatch
):
    # Refused at once, well within the (default, ten-second) auth window:
    bad_query = await police_socket(token="not-a-token")
    assert await closed_with(bad_query) == 4401
    bad_token = await police_socket()
    await bad_token.send_json_to({"type": "auth", "token": "not-a-token"})
    assert await closed_with(bad_token) == 4401
    too_soon = await police_socket()
    await too_soon.send_json_to({"type": "position", "unit": unit.pk})
    assert await closed_with(too_soon) == 4401
    assert await sync_to_async(UnitPosition.objects.count)() == 1  # the fixture's own

    # Saying nothing at all: closed when the window ends.
    monkeypatch.setattr(consumers, "AUTH_WITHIN_S", 0.3)
    silent = await police_socket()
    assert await silent.receive_nothing(0.1)
    assert await closed_with(silent) == 4401  # once the auth window is over


@MEMORY_ONLY
async def test_only_police_officers_may_connect(layer, resident):
    token = await sync_to_async(issue_app_token)(resident)
    by_query = await police_socket(token=token)
    assert await closed_with(by_query) == 4403

    by_frame = await police_socket()
    await by_frame.send_json_to({"type": "auth", "token": token})
    assert await closed_with(by_frame) == 4403


@MEMORY_ONLY
async def test_an_operators_session_is_no_way_in_but_the_officers_token_is(
    layer, operator, police_officer, unit, monkeypatch
):
    # The console and the police app open in one browser: the session is the operator's.
    monkeypatch.setattr(consumers, "AUTH_WITHIN_S", 0.5)
    token = await sync_to_async(issue_app_token)(police_officer)
    with_token = await police_socket(session_of=operator)
    await with_token.send_json_to({"type": "auth", "token": token})
    without = await police_socket(session_of=operator)

    hello = await with_token.receive_json_from(3)
    assert (hello["type"], hello["user"]) == ("police.hello", "police")
    assert await closed_with(without) == 4401  # the operator's session signs nobody in
    await with_token.disconnect()


@MEMORY_ONLY
async def test_every_way_in_gets_the_hello_with_the_unit_and_its_live_intervention(
    layer, resident, operator, police_officer, unit
):
    def history_then_live():
        done = dispatch_unit(file_report(resident), unit=unit, operator=operator)
        transition_intervention(done, to="cancelled", by=operator)
        return dispatch_unit(file_report(resident, category="theft"), unit=unit, operator=operator)

    live = await sync_to_async(history_then_live)()
    token = await sync_to_async(issue_app_token)(police_officer)
    by_query = await police_socket(token=token)  # the app
    by_frame = await police_socket()  # the app, keeping its token out of access logs
    await by_frame.send_json_to({"type": "auth", "token": token})
    by_session = await police_socket(session_of=police_officer)  # the web app

    hellos = [await s.receive_json_from(3) for s in (by_query, by_frame, by_session)]

    hello = hellos[0]
    assert hellos[1:] == [hello, hello]
    assert (hello["type"], hello["user"]) == ("police.hello", "police")
    assert [(u["id"], u["callsign"], u["status"]) for u in hello["units"]] == [
        (unit.pk, "PS-21", "busy")
    ]
    assert [(i["id"], i["state"]) for i in hello["interventions"]] == [(live.pk, "dispatched")]
    assert hello["interventions"][0]["report"] == live.report_id
    await by_session.send_json_to({"type": "auth", "token": token})  # the app sends it anyway
    assert await by_session.receive_nothing(0.2)
    for communicator in (by_query, by_frame, by_session):
        await communicator.disconnect()


# --- the unit's dispatches -----------------------------------------------------------------


async def test_a_dispatch_reaches_its_units_socket_and_no_other(
    layer, paris, resident, operator, police_officer, unit, colleague_unit, as_user
):
    ours = await signed_in(police_officer)
    colleague = await sync_to_async(colleague_unit.members.get)()
    theirs = await signed_in(colleague)
    report = await sync_to_async(file_report)(resident)
    console = await sync_to_async(as_user)(operator)

    sent = await sync_to_async(console.post)(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )

    assert sent.status_code == 201, sent.content
    got = await until(ours, "intervention.updated")
    assert [(kind, data["state"] if "state" in data else data["status"]) for kind, data in got] == [
        ("unit.updated", "busy"),
        ("intervention.updated", "dispatched"),
    ]
    dispatched = got[-1][1]
    assert (dispatched["id"], dispatched["unit"]["id"]) == (sent.json()["id"], unit.pk)
    assert await ours.receive_nothing(0.2)
    assert await theirs.receive_nothing(0.2)
    await ours.disconnect()
    await theirs.disconnect()


@MEMORY_ONLY
async def test_nothing_reaches_the_unit_before_commit(
    layer, resident, operator, police_officer, unit
):
    report = await sync_to_async(file_report)(resident)
    communicator = await signed_in(police_officer)
    inside, release = threading.Event(), threading.Event()

    def dispatch_and_hold():
        try:
            with transaction.atomic():
                dispatch_unit(report, unit=unit, operator=operator)
                inside.set()
                release.wait(5)
        finally:
            connection.close()

    holder = asyncio.ensure_future(sync_to_async(dispatch_and_hold, thread_sensitive=False)())
    assert await asyncio.to_thread(inside.wait, 5)
    assert await communicator.receive_nothing(0.3)  # written, not committed: silent
    release.set()
    await holder
    got = await until(communicator, "intervention.updated")
    assert got[-1][1]["state"] == "dispatched"
    await communicator.disconnect()


@MEMORY_ONLY
async def test_a_reassigned_dispatch_is_withdrawn_from_the_old_unit(
    layer, resident, operator, police_officer, unit, colleague_unit
):
    intervention = await sync_to_async(dispatch_unit)(
        await sync_to_async(file_report)(resident), unit=unit, operator=operator
    )
    old = await signed_in(police_officer)
    new = await signed_in(await sync_to_async(colleague_unit.members.get)())

    await sync_to_async(reassign_intervention)(intervention, unit=colleague_unit, operator=operator)

    withdrawn = await until(old, "intervention.withdrawn")
    assert [kind for kind, _ in withdrawn] == ["unit.updated", "intervention.withdrawn"]
    assert (withdrawn[0][1]["id"], withdrawn[0][1]["status"]) == (unit.pk, "available")
    assert withdrawn[1][1] == {"intervention": intervention.pk}
    assert await old.receive_nothing(0.2)  # the new dispatch is not the old crew's business
    got = await until(new, "intervention.updated")
    assert [kind for kind, _ in got] == ["unit.updated", "intervention.updated"]
    assert got[0][1]["status"] == "busy"
    assert (got[1][1]["unit"]["id"], got[1][1]["state"]) == (colleague_unit.pk, "dispatched")
    await old.disconnect()
    await new.disconnect()


# --- the app's frames -------------------------------------------------------------------------


@MEMORY_ONLY
async def test_a_position_frame_records_a_fix(layer, paris, police_officer, unit):
    communicator = await signed_in(police_officer)
    where = moved(PARIS_HOTEL_DE_VILLE, 350, 45)
    at = unit.last_recorded_at + timedelta(seconds=20)

    await communicator.send_json_to(
        {
            "type": "position",
            "request_id": "p1",
            "unit": unit.pk,
            "location": point_json(where),
            "recorded_at": at.isoformat(),
            "accuracy_m": 4,
        }
    )

    reply = await communicator.receive_json_from(3)
    assert reply == {
        "type": "police.result",
        "request_id": "p1",
        "ok": True,
        "data": {"recorded": True},
    }
    stored = await sync_to_async(Unit.objects.get)(pk=unit.pk)
    assert stored.last_location.equals_exact(where, 1e-9)
    assert (stored.last_recorded_at, stored.last_accuracy_m) == (at, 4)
    latest = await sync_to_async(UnitPosition.objects.filter(unit=unit).first)()
    assert (latest.reported_by_id, latest.recorded_at) == (police_officer.pk, at)
    await communicator.disconnect()


@MEMORY_ONLY
async def test_a_transition_frame_moves_the_intervention(
    layer, paris, resident, operator, police_officer, unit
):
    intervention = await sync_to_async(dispatch_unit)(
        await sync_to_async(file_report)(resident), unit=unit, operator=operator
    )
    communicator = await signed_in(police_officer)
    seq = await sync_to_async(lambda: Event.objects.filter(centre=paris).count())()

    await communicator.send_json_to(
        {
            "type": "transition",
            "request_id": 7,
            "intervention": intervention.pk,
            "to": "acknowledged",
        }
    )

    got = await frames(communicator, 2)
    reply = next(f for f in got if f["type"] == "police.result")
    update = next(f for f in got if f["type"] == "intervention.updated")
    assert (reply["request_id"], reply["ok"], reply["data"]["state"]) == (7, True, "acknowledged")
    assert update["data"]["state"] == "acknowledged"
    stored = await sync_to_async(Intervention.objects.get)(pk=intervention.pk)
    assert stored.state == State.ACKNOWLEDGED
    move = await sync_to_async(InterventionEvent.objects.filter(intervention=stored).last)()
    assert (move.from_state, move.to_state, move.by_id) == (
        "dispatched",
        "acknowledged",
        police_officer.pk,
    )
    announced = await sync_to_async(
        lambda: [
            (e.type, e.data["state"])
            for e in Event.objects.filter(centre=paris).order_by("seq")[seq:]
        ]
    )()
    assert announced == [("intervention.updated", "acknowledged")]
    await communicator.disconnect()


@MEMORY_ONLY
async def test_bad_frames_are_answered_and_the_socket_stays(
    layer, resident, operator, police_officer, unit, colleague_unit
):
    intervention = await sync_to_async(dispatch_unit)(
        await sync_to_async(file_report)(resident), unit=unit, operator=operator
    )
    communicator = await signed_in(police_officer)
    for text in ["not json", '{"no": "type"}', "[1, 2]", '{"type": "dance"}']:
        await communicator.send_to(text_data=text)
        reply = await communicator.receive_json_from(3)
        assert reply["type"] == "police.error", (text, reply)

    # Well-formed but refused: the service's own code comes back, nothing changes.
    asks = [
        (
            {"type": "transition", "intervention": intervention.pk, "to": "cancelled"},
            "operators_only",
        ),
        (
            {"type": "transition", "intervention": intervention.pk, "to": "on_scene"},
            "illegal_transition",
        ),
        ({"type": "transition", "intervention": "one", "to": "en_route"}, "invalid"),
        (
            {
                "type": "position",
                "unit": colleague_unit.pk,
                "location": point_json(PARIS_HOTEL_DE_VILLE),
                "recorded_at": unit.last_recorded_at.isoformat(),
            },
            "not_found",
        ),
        (
            {"type": "position", "unit": unit.pk, "location": "here", "recorded_at": "now"},
            "invalid",
        ),
    ]
    for n, (ask, code) in enumerate(asks):
        await communicator.send_json_to({**ask, "request_id": n})
        reply = await communicator.receive_json_from(3)
        assert (reply["type"], reply["request_id"], reply["ok"]) == ("police.result", n, False)
        assert reply["error"]["code"] == code, (ask, reply)
    await communicator.send_json_to({"type": "pong"})
    assert await communicator.receive_nothing(0.2)
    stored = await sync_to_async(Intervention.objects.get)(pk=intervention.pk)
    assert stored.state == State.DISPATCHED
    await communicator.disconnect()
