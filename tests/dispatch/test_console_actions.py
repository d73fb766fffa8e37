"""Dispatching from the operator console's WebSocket: the actions "dispatch",
"transition_intervention" (and "reassign_intervention") go through the same services as the
REST API, their events reach the console, and a refusal comes back with the same code."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application
from dispatch.models import Intervention, InterventionEvent, State, Unit
from dispatch.services import create_unit, dispatch_unit
from live.models import Event
from reporting.models import Report
from tests.factories import SAINT_DENIS_BASILICA, file_report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LAYERS = {
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [django_settings.REDIS_URL or "redis://127.0.0.1:6379/15"]},
    },
}
# For the tests whose frames never cross the channel layer (refusals write no event).
MEMORY_ONLY = pytest.mark.parametrize("layer", ["memory"], indirect=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


async def console(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/console/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(3)
    assert hello["type"] == "console.hello"
    return communicator


async def frames(communicator, count: int, timeout: float = 3.0) -> list[dict]:
    return [json.loads(await communicator.receive_from(timeout)) for _ in range(count)]


async def act(communicator, action: str, request_id, **fields) -> None:
    await communicator.send_json_to(
        {"type": "action", "action": action, "request_id": request_id, **fields}
    )


def split(got: list[dict], request_id) -> tuple[dict, list[tuple[str, str]]]:
    """The action's result, and the live events that came with it in seq order."""
    (result,) = [f for f in got if f["type"] == "action.result"]
    assert result["request_id"] == request_id
    events = sorted((f for f in got if f["type"] != "action.result"), key=lambda f: f["seq"])
    return result, [(f["type"], f["data"].get("state") or f["data"].get("status")) for f in events]


async def test_an_operator_dispatches_then_calls_off_from_the_console(
    layer, paris, resident, operator, unit
):
    report = await sync_to_async(file_report)(resident)
    communicator = await console(operator)

    await act(communicator, "dispatch", "d1", report=report.pk, unit=unit.pk, note="Go.")

    result, events = split(await frames(communicator, 5), "d1")
    assert result["ok"] is True, result
    assert (result["data"]["state"], result["data"]["unit"]["id"]) == ("dispatched", unit.pk)
    assert events == [
        ("unit.updated", "busy"),
        ("report.updated", "acknowledged"),
        ("report.updated", "dispatched"),
        ("intervention.updated", "dispatched"),
    ]
    intervention = await sync_to_async(Intervention.objects.get)(pk=result["data"]["id"])
    assert (intervention.created_by_id, intervention.note) == (operator.pk, "Go.")

    await act(
        communicator, "transition_intervention", "t1", intervention=intervention.pk, to="cancelled"
    )

    result, events = split(await frames(communicator, 4), "t1")
    assert (result["ok"], result["data"]["state"]) == (True, "cancelled")
    assert events == [
        ("unit.updated", "available"),
        ("report.updated", "acknowledged"),
        ("intervention.updated", "cancelled"),
    ]

    def rows():
        moves = InterventionEvent.objects.filter(intervention_id=intervention.pk)
        return (
            Intervention.objects.get(pk=intervention.pk).state,
            Unit.objects.get(pk=unit.pk).status,
            Report.objects.get(pk=report.pk).status,
            list(moves.values_list("to_state", "by_id")),
            Event.objects.filter(centre=paris, type="intervention.updated").count(),
        )

    assert await sync_to_async(rows)() == (
        State.CANCELLED,
        "available",
        "acknowledged",
        [("dispatched", operator.pk), ("cancelled", operator.pk)],
        2,
    )
    await communicator.disconnect()


@MEMORY_ONLY
async def test_refused_actions_carry_the_services_codes_and_change_nothing(
    layer, paris, saint_denis, resident, operator, outsider_operator, unit
):
    def the_scene():
        taken = dispatch_unit(file_report(resident), unit=unit, operator=operator)
        sd_unit = create_unit(centre=saint_denis, callsign="SD-1", members=[])
        return (
            taken,
            file_report(resident, category="theft"),
            sd_unit,
            file_report(resident, where=SAINT_DENIS_BASILICA),
        )

    intervention, waiting, sd_unit, sd_report = await sync_to_async(the_scene)()
    seqs = await sync_to_async(lambda: list(Event.objects.values_list("centre", "seq")))()
    ours, theirs = await console(operator), await console(outsider_operator)
    asks = [
        (ours, "dispatch", {"report": waiting.pk, "unit": unit.pk}, "unit_busy"),
        (
            ours,
            "transition_intervention",
            {"intervention": intervention.pk, "to": "on_scene"},
            "illegal_transition",
        ),
        (
            ours,
            "transition_intervention",
            {"intervention": intervention.pk, "to": "teleported"},
            "invalid",
        ),
        (ours, "dispatch", {"report": str(waiting.pk), "unit": unit.pk}, "invalid"),
        (
            ours,
            "reassign_intervention",
            {"intervention": intervention.pk, "unit": unit.pk},
            "same_unit",
        ),
        # Another centre's operator finds neither Paris's report, nor its unit, nor its dispatch.
        (theirs, "dispatch", {"report": waiting.pk, "unit": sd_unit.pk}, "not_found"),
        (theirs, "dispatch", {"report": sd_report.pk, "unit": unit.pk}, "not_found"),
        (
            theirs,
            "transition_intervention",
            {"intervention": intervention.pk, "to": "cancelled"},
            "not_found",
        ),
        (
            theirs,
            "reassign_intervention",
            {"intervention": intervention.pk, "unit": sd_unit.pk},
            "not_found",
        ),
    ]
    for n, (communicator, action, fields, code) in enumerate(asks):
        await act(communicator, action, n, **fields)
        (result,) = await frames(communicator, 1)
        assert (result["request_id"], result["ok"]) == (n, False)
        assert result["error"]["code"] == code, (action, fields, result)

    assert await ours.receive_nothing(0.2)

    def unchanged():
        return (
            list(Intervention.objects.values_list("pk", "state")),
            Report.objects.get(pk=waiting.pk).status,
            Report.objects.get(pk=sd_report.pk).status,
            list(Event.objects.values_list("centre", "seq")),
        )

    assert await sync_to_async(unchanged)() == (
        [(intervention.pk, State.DISPATCHED)],
        "new",
        "new",
        seqs,
    )
    await ours.disconnect()
    await theirs.disconnect()
