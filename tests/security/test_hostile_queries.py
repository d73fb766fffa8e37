"""Query strings and frame values built to break an endpoint get a 4xx in the contract's
shape (or an honest empty page), never a 500. Found by the schemathesis run, kept here as
plain cases: a date with an offset PostgreSQL refuses (beyond ±15:59), bytes that are not
UTF-8, NUL characters, numbers no float holds."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.factories import file_report

HOSTILE = [
    {"since": "2026-01-01T00:00:00+18:04"},  # PostgreSQL takes offsets up to ±15:59
    {"since": "0300-03-14T02:08:49.614+18:04"},
    {"since": "0001-01-01T00:00:00+01:00"},  # before year 1 once in UTC
    {"since": "9999-12-31T23:59:59-12:00"},  # after year 9999 once in UTC
    {"since": "not a date"},
    {"bbox": "nan,nan,nan,nan"},
    {"bbox": "1e999,0,0,1e999"},
    {"bbox": "2.3,48.8,2.4"},
    {"near": "inf,inf"},
    {"near": "2.35"},
    {"page": "99999999999999999999999"},
    {"page": "-1"},
    {"status": "\x00"},
    {"category": "\x00"},  # PostgreSQL refuses NUL in a string
    {"category": "%ED%B3%BF%FF"},  # not UTF-8 once decoded
    {"bbox": "%00"},
    {"source": "x" * 5000},
]


@pytest.mark.parametrize(
    "query", HOSTILE, ids=lambda q: f"{next(iter(q))}={q[next(iter(q))]!r}"[:40]
)
@pytest.mark.parametrize("who", ["resident", "operator"])
def test_hostile_report_list_queries_are_never_a_500(request, as_user, resident, who, query):
    file_report(resident)
    client = as_user(request.getfixturevalue(who))
    ((name, value),) = query.items()
    raw = value if value.startswith("%") else quote(value)  # bytes a browser could not send
    response = client.get(f"/api/v1/reports/?{name}={raw}")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


FAR_OFFSETS = ["2026-01-01T00:00:00+18:04", "2026-01-01T00:00:00-23:59"]


@pytest.mark.parametrize("moment", FAR_OFFSETS)
@pytest.mark.parametrize("name", ["since", "until"])
def test_the_access_trail_search_survives_far_offsets(as_user, supervisor, name, moment):
    response = as_user(supervisor).get(f"/api/v1/access-records/?{name}={quote(moment)}")
    assert response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("moment", FAR_OFFSETS)
def test_open311_date_filters_survive_far_offsets(api, resident, moment):
    from accounts.services import issue_app_token

    key = issue_app_token(resident)
    response = api.get(
        f"/open311/v2/requests.json?api_key={key}&start_date={quote(moment)}"
        f"&end_date={quote('2026-01-02T00:00:00Z')}"
    )
    assert response.status_code < 500, response.content[:300]


async def _police_position_reply(police_officer, unit, moment: str) -> dict:
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from accounts.services import issue_app_token
    from config.asgi import application

    token = await sync_to_async(issue_app_token)(police_officer)
    communicator = WebsocketCommunicator(
        application, f"/ws/police/?token={token}", headers=[(b"origin", b"http://localhost")]
    )
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(3))["type"] == "police.hello"
    await communicator.send_json_to(
        {
            "type": "position",
            "request_id": 1,
            "unit": unit.pk,
            # Where the unit was last seen: only the time is on trial.
            "location": {"type": "Point", "coordinates": list(unit.last_location.coords)},
            "recorded_at": moment,
        }
    )
    reply = await communicator.receive_json_from(3)
    await communicator.disconnect()
    assert reply["type"] == "police.result"
    return reply


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_police_position_stamped_now_with_a_far_offset_is_recorded(police_officer, unit):
    from datetime import datetime, timedelta, timezone

    far_east = timezone(timedelta(hours=18, minutes=4))  # valid ISO 8601, refused by PostgreSQL
    reply = await _police_position_reply(police_officer, unit, datetime.now(far_east).isoformat())
    assert reply["ok"], reply


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "moment", [*FAR_OFFSETS, "2026-02-31T10:00:00Z", "9999-12-31T23:59:59-12:00", "now"]
)
async def test_a_police_position_frame_with_an_impossible_time_is_refused(
    police_officer, unit, moment
):
    reply = await _police_position_reply(police_officer, unit, moment)
    assert not reply["ok"]
    # Refused for what it says (impossible, stale or ahead), not a failure of ours.
    assert reply["error"]["code"] in ("invalid", "stale_position", "implausible_position")
