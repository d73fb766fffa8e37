"""Supervision: devices say they are alive; the beat notices the ones that stopped.

Time travel moves the rows' timestamps back in the database rather than freezing the clock:
"silent for 125 s" is a last heartbeat 125 s ago.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import services, tasks
from alerts.models import Device, SeenSignature
from live.models import Event
from tests.factories import post_signed

pytestmark = pytest.mark.django_db

HEARTBEAT = "/api/v1/alerts/heartbeat/"
TRIGGER = "/api/v1/alerts/trigger/"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # PINs and passwords are hashed in every fixture; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def silent_for(device: Device, seconds: float) -> None:
    """Time travel: the device last spoke `seconds` ago."""
    Device.objects.filter(pk=device.pk).update(
        last_heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


def events(type_: str) -> list[Event]:
    return list(Event.objects.filter(type=type_).order_by("seq"))


def gone_offline(device: Device) -> Device:
    """A device the beat has already announced offline."""
    silent_for(device, 3 * device.heartbeat_interval_s)
    assert services.mark_silent_devices_offline() == [device]
    device.refresh_from_db()
    return device


def test_a_heartbeat_is_answered_204_and_records_that_the_device_is_alive(api, button):
    before = timezone.now()

    response = post_signed(api, HEARTBEAT, button)

    assert response.status_code == 204
    assert response.content == b""
    button.refresh_from_db()
    assert button.online
    assert before <= button.last_heartbeat_at <= timezone.now()
    assert not Event.objects.exists()  # it was online already: nothing to tell the console


def test_a_device_silent_for_two_intervals_goes_offline_and_is_announced_once(
    button, call_point, paris
):
    # The button beats every 60 s, the call point every 300 s: 125 s is two misses for one only.
    silent_for(button, 125)
    silent_for(call_point, 125)

    first = tasks.supervise_devices()
    second = tasks.supervise_devices()  # an overlapping or repeated beat

    assert (first, second) == (1, 0)
    button.refresh_from_db()
    call_point.refresh_from_db()
    assert (button.online, call_point.online) == (False, True)
    (offline,) = events("device.offline")
    assert offline.centre == paris
    assert offline.data["id"] == button.pk
    assert offline.data["online"] is False
    assert offline.data["name"] == button.name
    assert offline.data["heartbeat_interval_s"] == 60
    assert offline.data["last_heartbeat_at"] == button.last_heartbeat_at.isoformat()


@pytest.mark.parametrize(("silent_s", "online"), [(115, True), (125, False)])
def test_one_missed_heartbeat_is_tolerated_two_are_not(button, silent_s, online):
    silent_for(button, silent_s)

    services.mark_silent_devices_offline()

    button.refresh_from_db()
    assert button.online is online
    assert len(events("device.offline")) == (0 if online else 1)


def test_a_device_that_never_spoke_goes_offline_two_intervals_after_registration(button):
    Device.objects.filter(pk=button.pk).update(created_at=timezone.now() - timedelta(seconds=125))

    gone = services.mark_silent_devices_offline()

    assert gone == [button]
    assert events("device.offline")[0].data["last_heartbeat_at"] is None


def test_revoked_and_in_app_devices_are_never_marked_offline(button, business):
    services.revoke_device(button)
    silent_for(button, 3600)
    app_button = services.app_button_for(business)
    silent_for(app_button, 3 * 365 * 24 * 3600)  # the app never heartbeats

    gone = services.mark_silent_devices_offline()

    assert gone == []
    assert set(Device.objects.values_list("pk", "online")) == {
        (button.pk, True),
        (app_button.pk, True),
    }
    assert not events("device.offline")


def test_an_offline_device_that_heartbeats_is_announced_back_online_once(api, button, paris):
    gone_offline(button)

    back = post_signed(api, HEARTBEAT, button)
    again = post_signed(api, HEARTBEAT, button, body=b'{"again": true}')

    assert back.status_code == again.status_code == 204
    button.refresh_from_db()
    assert button.online
    (online,) = events("device.online")
    assert online.centre == paris
    assert online.data["id"] == button.pk
    assert online.data["online"] is True
    assert online.data["last_heartbeat_at"] is not None
    assert [e.type for e in Event.objects.order_by("seq")] == ["device.offline", "device.online"]


def test_an_offline_device_that_raises_an_alert_is_back_online(api, button):
    gone_offline(button)

    response = post_signed(api, TRIGGER, button, {"kind": "intrusion"})

    assert response.status_code == 201
    button.refresh_from_db()
    assert button.online
    assert [e.type for e in Event.objects.order_by("seq")] == [
        "device.offline",
        "report.created",
        "device.online",
    ]


def test_a_device_back_online_is_watched_again(api, button):
    gone_offline(button)
    post_signed(api, HEARTBEAT, button)
    silent_for(button, 125)

    services.mark_silent_devices_offline()

    assert [e.type for e in Event.objects.order_by("seq")] == [
        "device.offline",
        "device.online",
        "device.offline",
    ]


def test_the_beat_forgets_signatures_too_old_to_be_replayed(api, button):
    post_signed(api, HEARTBEAT, button)
    old = SeenSignature.objects.create(device=button, signature="a" * 64)
    SeenSignature.objects.filter(pk=old.pk).update(seen_at=timezone.now() - timedelta(hours=1))

    services.mark_silent_devices_offline()

    assert SeenSignature.objects.count() == 1
    assert not SeenSignature.objects.filter(pk=old.pk).exists()
