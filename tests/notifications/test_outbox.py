"""Notifications are rows written with the change that causes them, then sent by a worker."""

from __future__ import annotations

import pytest

from notifications.models import Notification, PushDevice, PushMessage
from notifications.services import register_push_device, send_pending
from reporting.services.triage import acknowledge_report
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def test_an_app_registers_and_drops_its_push_token(resident, as_user):
    app = as_user(resident)

    registered = app.post(
        "/api/v1/push-devices/", {"token": "fcm-token-1", "platform": "ios"}, format="json"
    )
    assert registered.status_code == 201
    assert PushDevice.objects.get(token="fcm-token-1").user == resident

    assert app.delete("/api/v1/push-devices/fcm-token-1/").status_code == 204
    assert not PushDevice.objects.filter(token="fcm-token-1").exists()
    assert app.delete("/api/v1/push-devices/fcm-token-1/").status_code == 404


def test_a_token_registered_by_someone_else_moves_to_them(resident, other_resident):
    register_push_device(resident, token="shared-phone", platform="android")
    register_push_device(other_resident, token="shared-phone", platform="android")

    assert PushDevice.objects.get(token="shared-phone").user == other_resident


def test_the_author_is_told_in_their_language_when_an_operator_takes_the_report(resident, operator):
    resident.language = "en"
    resident.save(update_fields=["language"])
    register_push_device(resident, token="phone", platform="android")
    register_push_device(resident, token="tablet", platform="ios")
    report = file_report(resident, category="theft")

    acknowledge_report(report, operator=operator)

    notification = Notification.objects.get(recipient=resident)
    assert notification.title == "Report received"
    assert report.reference in notification.body
    assert notification.data == {
        "type": "report.status",
        "report": str(report.pk),
        "reference": report.reference,
        "status": "acknowledged",
    }
    assert sorted(p.device.token for p in notification.pushes.all()) == ["phone", "tablet"]
    assert send_pending() == {"sent": 2}
    assert set(PushMessage.objects.values_list("status", "backend")) == {("sent", "log")}
    assert send_pending() == {}  # nothing twice
