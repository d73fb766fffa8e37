"""A press becomes a critical report at the device's place, announced, cameras turned."""

from __future__ import annotations

import time

import pytest

from alerts.models import Alert
from cameras.models import PtzCommand
from live.models import Event
from reporting.models import Report
from tests.factories import PARIS_HOTEL_DE_VILLE, camera_at, moved, post_signed

pytestmark = pytest.mark.django_db

TRIGGER = "/api/v1/alerts/trigger/"


def test_a_press_becomes_a_critical_report_at_the_device(api, button, paris):
    response = post_signed(api, TRIGGER, button, {"kind": "panic"})

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert response.json()["reference"] == report.reference
    assert (report.source, report.priority, report.category.code) == (
        "alert_button",
        "critical",
        "panic_alarm",
    )
    assert report.location.equals_exact(PARIS_HOTEL_DE_VILLE, 1e-9)
    assert report.author == button.owner
    alert = Alert.objects.get(report=report)
    assert (alert.device, alert.kind, alert.channel, alert.located_by) == (
        button,
        "panic",
        "http",
        "device",
    )
    created = Event.objects.get(centre=paris, type="report.created")
    assert created.data["id"] == report.pk


@pytest.mark.django_db(transaction=True)
def test_a_press_points_the_nearest_ptz_cameras_at_it(api, button, paris, settings):
    settings.VIGIE_ALERT_PTZ_CAMERAS = 2
    where = button.location
    near = camera_at(paris, moved(where, 40, 0), "ptz-near", kind="ptz", height_m=8)
    far = camera_at(paris, moved(where, 90, 180), "ptz-far", kind="ptz", height_m=8)
    camera_at(paris, moved(where, 150, 90), "ptz-third", kind="ptz", height_m=8)
    camera_at(paris, moved(where, 20, 270), "fixed", kind="fixed", heading_deg=90)

    response = post_signed(api, TRIGGER, button, {"kind": "intrusion"})

    assert response.status_code == 201
    commands = PtzCommand.objects.filter(report_id=response.json()["report"]).order_by("pk")
    assert [c.camera for c in commands] == [near, far]
    assert all(c.status == "sent" and c.driver == "simulated" for c in commands)
    assert abs(commands[0].pan_deg) == pytest.approx(180, abs=0.5)  # it looks south, at the shop
    ptz_event = Event.objects.get(type="report.ptz")
    assert [c["camera"] for c in ptz_event.data["commands"]] == [near.pk, far.pk]


def test_a_retry_with_the_same_idempotency_key_creates_nothing_more(api, button):
    key = {"Idempotency-Key": "k1"}
    first = post_signed(api, TRIGGER, button, {"kind": "panic"}, **key)
    # The firmware signs its retry afresh: the same signature twice would be a replay.
    again = post_signed(
        api, TRIGGER, button, {"kind": "panic"}, timestamp=int(time.time()) + 1, **key
    )

    assert first.status_code == again.status_code == 201
    assert again.json()["report"] == first.json()["report"]
    assert Report.objects.count() == 1
