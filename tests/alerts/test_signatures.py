"""Signed device requests (API.md, Alert buttons and call points): who may speak for a device.

The matrix: a request correctly signed is accepted once; one badly signed, stale, from the
future, replayed, from a revoked or unknown device, with its body tampered with, or unsigned
is refused with 401, creates nothing (no report, alert, event, heartbeat, remembered
signature), and leaves an audit row naming the precise reason the answer does not give.
"""

from __future__ import annotations

import json
import time
from functools import partial

import pytest

from alerts import services
from alerts.models import Alert, Device, RefusedDeviceRequest, SeenSignature
from alerts.signing import DeviceRefused, signed_headers
from live.models import Event
from reporting.models import Report
from tests.factories import device_at, post_signed

pytestmark = pytest.mark.django_db

TRIGGER = "/api/v1/alerts/trigger/"
HEARTBEAT = "/api/v1/alerts/heartbeat/"
BODIES = {TRIGGER: b'{"kind": "panic"}', HEARTBEAT: b"{}"}
ACCEPTED = {TRIGGER: 201, HEARTBEAT: 204}
UNKNOWN_ID = "987654"
SKEW = 300  # VIGIE_DEVICE_CLOCK_SKEW_S, the default


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # PINs and passwords are hashed in every fixture; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def send(api, path, body: bytes, headers: dict[str, str]):
    return api.generic("POST", path, body, content_type="application/json", headers=headers)


def everything_a_request_could_leave(device: Device) -> dict:
    return {
        "reports": Report.objects.count(),
        "alerts": Alert.objects.count(),
        "events": list(Event.objects.values_list("type", flat=True)),
        "signatures": SeenSignature.objects.count(),
        "last_heartbeat_at": Device.objects.get(pk=device.pk).last_heartbeat_at,
        "online": Device.objects.get(pk=device.pk).online,
    }


# Each case prepares what it needs, then returns the refused request, ready to send.


def badly_signed(api, path, device):
    return partial(post_signed, api, path, device, BODIES[path], **{"X-Signature": "0" * 64})


def signed_with_another_devices_secret(api, path, device):
    other = device_at(device.centre, name="Kiosque du parvis")
    headers = signed_headers(other, BODIES[path]) | {"X-Device-Id": str(device.pk)}
    return partial(send, api, path, BODIES[path], headers)


# The clock is read when the request is sent, not when the case is built (a loaded machine
# may spend a second in between), and 2 s past the bound so a second boundary crossed between
# our clock and the server's cannot bring it back inside.
def stale(api, path, device):
    return lambda: post_signed(
        api, path, device, BODIES[path], timestamp=int(time.time()) - SKEW - 2
    )


def from_the_future(api, path, device):
    return lambda: post_signed(
        api, path, device, BODIES[path], timestamp=int(time.time()) + SKEW + 2
    )


def with_a_timestamp_that_is_no_number(api, path, device):
    return partial(post_signed, api, path, device, BODIES[path], **{"X-Timestamp": "yesterday"})


def replayed(api, path, device):
    headers = signed_headers(device, BODIES[path])
    first = send(api, path, BODIES[path], headers)
    assert first.status_code == ACCEPTED[path], first.content
    return partial(send, api, path, BODIES[path], headers)


def from_a_revoked_device(api, path, device):
    services.revoke_device(device)
    return partial(post_signed, api, path, device, BODIES[path])


def from_an_unknown_device(api, path, device):
    return partial(post_signed, api, path, device, BODIES[path], **{"X-Device-Id": UNKNOWN_ID})


def with_its_body_tampered_with(api, path, device):
    headers = signed_headers(device, BODIES[path])
    return partial(send, api, path, b'{"kind": "fire"}', headers)


def unsigned(api, path, device):
    return partial(api.post, path, BODIES[path], content_type="application/json")


# (case, error code, audited reason, the device id the audit row records as claimed)
REFUSALS = [
    pytest.param(badly_signed, "device_refused", "bad_signature", "self", id="bad signature"),
    pytest.param(
        signed_with_another_devices_secret,
        "device_refused",
        "bad_signature",
        "self",
        id="another device's secret",
    ),
    pytest.param(stale, "clock_skew", "stale_timestamp", "self", id="stale"),
    pytest.param(from_the_future, "clock_skew", "future_timestamp", "self", id="future"),
    pytest.param(
        with_a_timestamp_that_is_no_number,
        "device_refused",
        "bad_timestamp",
        "self",
        id="timestamp not a number",
    ),
    pytest.param(replayed, "device_refused", "replayed", "self", id="replay"),
    pytest.param(from_a_revoked_device, "device_refused", "revoked", "self", id="revoked"),
    pytest.param(
        from_an_unknown_device, "device_refused", "unknown_device", UNKNOWN_ID, id="unknown"
    ),
    pytest.param(
        with_its_body_tampered_with, "device_refused", "bad_signature", "self", id="body tampered"
    ),
    pytest.param(unsigned, "device_refused", "unsigned", "", id="unsigned"),
]


@pytest.mark.parametrize("path", [TRIGGER, HEARTBEAT])
@pytest.mark.parametrize(("case", "code", "reason", "claimed"), REFUSALS)
def test_a_refused_device_request_creates_nothing_and_is_audited_with_its_reason(
    api, button, path, case, code, reason, claimed
):
    request = case(api, path, button)
    before = everything_a_request_could_leave(button)

    response = request()

    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "fields"}
    if code == "device_refused":  # one answer for all: the precise reason is for the audit
        assert error["message"] == DeviceRefused.message
    assert everything_a_request_could_leave(button) == before
    audit = RefusedDeviceRequest.objects.get()
    claimed = str(button.pk) if claimed == "self" else claimed
    known = claimed == str(button.pk)
    assert (audit.reason, audit.claimed_device, audit.device, audit.channel, audit.path) == (
        reason,
        claimed,
        button if known else None,
        "http",
        path,
    )
    assert audit.remote_address == "127.0.0.1"


@pytest.mark.parametrize("path", [TRIGGER, HEARTBEAT])
def test_a_correctly_signed_request_is_accepted_and_its_signature_remembered(api, button, path):
    headers = signed_headers(button, BODIES[path])

    response = send(api, path, BODIES[path], headers)

    assert response.status_code == ACCEPTED[path], response.content
    seen = SeenSignature.objects.get()
    assert (seen.device, seen.signature) == (button, headers["X-Signature"])
    assert not RefusedDeviceRequest.objects.exists()
    button.refresh_from_db()
    assert button.last_heartbeat_at is not None


def test_a_replayed_signature_is_refused_and_audited(api, button, paris):
    headers = signed_headers(button, BODIES[TRIGGER])
    first = send(api, TRIGGER, BODIES[TRIGGER], headers)

    # The same signature in capitals and with a trailing space is still the same signature.
    again = send(
        api,
        TRIGGER,
        BODIES[TRIGGER],
        headers | {"X-Signature": headers["X-Signature"].upper() + " "},
    )

    assert first.status_code == 201
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "device_refused"
    assert Report.objects.count() == Alert.objects.count() == 1
    assert list(Event.objects.filter(centre=paris).values_list("type", flat=True)) == [
        "report.created"
    ]
    assert RefusedDeviceRequest.objects.get().reason == "replayed"


@pytest.mark.parametrize(
    ("offset", "reason", "words"),
    [(-302, "stale_timestamp", "behind"), (302, "future_timestamp", "ahead of")],
)
def test_a_clock_error_tells_the_device_the_server_time(api, button, offset, reason, words):
    response = post_signed(
        api, TRIGGER, button, BODIES[TRIGGER], timestamp=int(time.time()) + offset
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "clock_skew"
    assert words in response.json()["error"]["message"]
    assert abs(int(response.headers["X-Server-Time"]) - time.time()) <= 2
    assert not Report.objects.exists()
    assert RefusedDeviceRequest.objects.get().reason == reason


@pytest.mark.parametrize("offset", [-290, 290])
def test_a_device_clock_a_little_off_is_still_accepted(api, button, offset):
    response = post_signed(
        api, TRIGGER, button, BODIES[TRIGGER], timestamp=int(time.time()) + offset
    )

    assert response.status_code == 201, response.content
    assert Report.objects.count() == 1


def test_a_signature_with_non_ascii_characters_is_refused_and_audited(api, button):
    response = post_signed(
        api, HEARTBEAT, button, BODIES[HEARTBEAT], **{"X-Signature": "caf\u00e9" * 16}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "device_refused"
    assert RefusedDeviceRequest.objects.get().reason == "bad_signature"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        pytest.param(b"{not json", "malformed", None, id="not JSON"),
        pytest.param(b"\xff\xfe{}", "malformed", None, id="not UTF-8"),
        pytest.param(b'{"kind": "panic", "kind": "fire"}', "malformed", None, id="duplicate key"),
        pytest.param(b"[]", "invalid", None, id="a list"),
        pytest.param(b"{}", "invalid", "kind", id="no kind"),
        pytest.param(b'{"kind": "nuclear"}', "invalid", "kind", id="unknown kind"),
        pytest.param(
            b'{"kind": "panic", "location": {"type": "Point", "coordinates": [500, 100]}}',
            "invalid",
            "location",
            id="impossible position",
        ),
        pytest.param(
            b'{"kind": "panic", "location": "48.85,2.35"}', "invalid", "location", id="no GeoJSON"
        ),
    ],
)
def test_a_well_signed_but_malformed_trigger_is_a_400_and_creates_nothing(
    api, button, body, code, field
):
    response = post_signed(api, TRIGGER, button, body)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert field in error["fields"]
    assert not Report.objects.exists()
    assert not Alert.objects.exists()
    assert not Event.objects.exists()
    assert not RefusedDeviceRequest.objects.exists()  # the device was right to speak


def test_a_retried_trigger_raises_one_alert_and_one_console_event(api, button, paris):
    key, now = {"Idempotency-Key": "press-0001"}, int(time.time())
    first = post_signed(api, TRIGGER, button, {"kind": "medical"}, timestamp=now, **key)
    # The firmware signs its retry afresh: the same signature twice would be a replay.
    retry = post_signed(api, TRIGGER, button, {"kind": "medical"}, timestamp=now + 1, **key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Alert.objects.get().report_id == first.json()["report"]
    assert Event.objects.filter(centre=paris, type="report.created").count() == 1


def test_an_idempotency_key_reused_for_another_alert_is_refused(api, button):
    key = {"Idempotency-Key": "press-0002"}
    first = post_signed(api, TRIGGER, button, {"kind": "medical"}, **key)
    other = post_signed(api, TRIGGER, button, {"kind": "fire"}, **key)

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Alert.objects.get().kind == "medical"


def test_an_idempotent_retry_must_still_be_signed_afresh(api, button):
    """The replay check comes first: a copied request gets no cached answer either."""
    body = json.dumps({"kind": "panic"}).encode()
    headers = signed_headers(button, body) | {"Idempotency-Key": "press-0003"}
    first = send(api, TRIGGER, body, headers)

    copy = send(api, TRIGGER, body, headers)

    assert first.status_code == 201
    assert copy.status_code == 401
    assert "report" not in copy.json()
    assert Report.objects.count() == 1
    assert RefusedDeviceRequest.objects.get().reason == "replayed"


def test_a_flood_of_refused_requests_from_one_address_is_audited_only_up_to_a_cap(
    api, button, monkeypatch
):
    monkeypatch.setattr("alerts.signing.AUDITED_REFUSALS_PER_MINUTE", 3)

    answers = [
        api.post("/api/v1/alerts/trigger/", {"kind": "panic"}, format="json") for _ in range(5)
    ]

    assert [a.status_code for a in answers] == [401] * 5
    assert RefusedDeviceRequest.objects.count() == 3
