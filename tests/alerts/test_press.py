"""Pressing: a business's in-app button, and where a press is placed on the map.

The app's press is located at the business's registered address unless the app sends a fix
within VIGIE_ALERT_POSITION_BOUND_M of it; a mobile device's sent position obeys the same
bound, else the alert is shown at the registered place with a note saying why.
"""

from __future__ import annotations

import pytest

from accounts.services import create_user, suspend_member
from alerts import tasks
from alerts.models import Alert, Device
from cameras.models import PtzCommand
from live.models import Event
from reporting.models import Report
from tests.factories import (
    LYON_BELLECOUR,
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    UserFactory,
    camera_at,
    device_at,
    moved,
    point_json,
    post_signed,
)

pytestmark = pytest.mark.django_db

PRESS = "/api/v1/alerts/press/"
TRIGGER = "/api/v1/alerts/trigger/"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # PINs and passwords are hashed in every fixture; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mobile_button(paris):
    """A button worn by a night-shift guard: it sends its position with each press."""
    return device_at(paris, name="Agent de sécurité, Halles", mobile=True)


def press(client, **body):
    return client.post(PRESS, body, format="json")


def located_at(point, expected) -> bool:
    return point.equals_exact(expected, 1e-7)


# --- the business's app button ------------------------------------------------------------


def test_an_approved_business_press_is_a_critical_alert_at_its_registered_address(
    as_user, business, paris
):
    response = press(as_user(business))

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert response.json()["reference"] == report.reference
    assert "cancel_until" in response.json()
    assert (report.source, report.category.code, report.priority, report.author) == (
        "alert_button",
        "panic_alarm",
        "critical",
        business,
    )
    assert located_at(report.location, business.address_location)
    alert = Alert.objects.get(report=report)
    assert (alert.kind, alert.channel, alert.located_by) == ("panic", "app", "device")
    device = alert.device
    assert (device.owner, device.in_app, device.mobile, device.centre) == (
        business,
        True,
        True,
        paris,
    )
    assert located_at(device.location, business.address_location)
    created = Event.objects.get(centre=paris, type="report.created")
    assert created.data["id"] == report.pk


def test_every_press_of_a_business_comes_from_its_one_app_button(as_user, business, button):
    client = as_user(business)

    first, second = press(client), press(client, kind="intrusion")

    assert first.status_code == second.status_code == 201
    app_button = Device.objects.get(owner=business, in_app=True)
    assert list(Alert.objects.order_by("pk").values_list("device", "kind")) == [
        (app_button.pk, "panic"),
        (app_button.pk, "intrusion"),
    ]
    assert app_button != button  # the shop's wired button stays a device of its own


def test_a_plausible_fix_from_the_app_places_the_alert_there(as_user, business):
    fix = moved(business.address_location, 300, 45)

    response = press(as_user(business), location=point_json(fix))

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, fix)
    assert Alert.objects.get(report=report).located_by == "sender"
    assert "too far" not in report.description


def beyond_the_bound(origin):
    return moved(origin, 1200, 200)  # the tests set the bound at 1,000 m


def in_lyon(origin):
    return LYON_BELLECOUR


IMPLAUSIBLE = [
    pytest.param(beyond_the_bound, id="beyond the bound"),
    pytest.param(in_lyon, id="in Lyon"),
]


@pytest.mark.parametrize("far_away", IMPLAUSIBLE)
def test_an_implausible_fix_from_the_app_is_shown_at_the_address_with_a_note(
    as_user, business, settings, far_away
):
    settings.VIGIE_ALERT_POSITION_BOUND_M = 1000
    fix = far_away(business.address_location)

    response = press(as_user(business), location=point_json(fix))

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, business.address_location)
    assert Alert.objects.get(report=report).located_by == "device"
    assert f"{fix.y:.5f}, {fix.x:.5f}, too far from its registered place" in report.description


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("resident", 403, "business_only"),
        ("pending_resident", 403, "account_pending"),
        # Suspension ends the phone's token; signed in again, the app is told why (below).
        ("suspended_business", 401, "authentication_failed"),
        ("operator", 403, "members_only"),
        ("supervisor", 403, "members_only"),
        ("nobody", 401, "not_authenticated"),
    ],
)
def test_only_an_approved_business_has_an_alert_button(
    request, api, as_user, paris, operator, who, status, code
):
    if who == "nobody":
        client = api
    elif who == "suspended_business":
        shop = UserFactory(username="tabac", role="business", centre=paris)
        client = as_user(shop)  # signed in before the suspension, as a phone would be
        suspend_member(shop, by=operator, reason="unpaid subscription")
    else:
        client = as_user(request.getfixturevalue(who))

    response = press(client)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Report.objects.exists()
    assert not Device.objects.filter(in_app=True).exists()
    assert not Event.objects.exists()


def test_a_retried_press_raises_one_alert_and_one_console_event(as_user, business, paris):
    client = as_user(business)
    key = {"HTTP_IDEMPOTENCY_KEY": "app-press-1"}

    first = client.post(PRESS, {}, format="json", **key)
    retry = client.post(PRESS, {}, format="json", **key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Alert.objects.count() == Report.objects.count() == 1
    assert Event.objects.filter(centre=paris, type="report.created").count() == 1


def test_a_press_after_the_business_moved_goes_to_its_new_address(as_user, business, paris):
    client = as_user(business)
    assert press(client).status_code == 201  # the app button is made at the first address
    new_address = moved(business.address_location, 1500, 90)
    create_user(
        business.username,
        role="business",
        centre=paris,
        password=PASSWORD,
        address_location=new_address,
    )

    response = press(client)

    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, new_address)


# --- signed devices: where the press is placed ----------------------------------------------


def test_a_mobile_device_position_within_the_bound_is_used(api, mobile_button):
    fix = moved(mobile_button.location, 1500, 200)

    response = post_signed(
        api, TRIGGER, mobile_button, {"kind": "panic", "location": point_json(fix)}
    )

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, fix)
    assert Alert.objects.get(report=report).located_by == "sender"
    assert report.description == "Agent de sécurité, Halles: panic."


@pytest.mark.parametrize("far_away", IMPLAUSIBLE)
def test_a_mobile_device_position_out_of_bounds_is_replaced_by_its_place_with_a_note(
    api, mobile_button, settings, far_away
):
    settings.VIGIE_ALERT_POSITION_BOUND_M = 1000
    fix = far_away(mobile_button.location)

    response = post_signed(
        api, TRIGGER, mobile_button, {"kind": "panic", "location": point_json(fix)}
    )

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, PARIS_HOTEL_DE_VILLE)
    assert Alert.objects.get(report=report).located_by == "device"
    assert report.description == (
        f"Agent de sécurité, Halles: panic. The device sent {fix.y:.5f}, {fix.x:.5f}, too far "
        "from its registered place to trust: shown at the registered place."
    )


def test_a_fixed_device_cannot_move_its_alert(api, button):
    fix = moved(button.location, 100, 0)

    response = post_signed(api, TRIGGER, button, {"kind": "intrusion", "location": point_json(fix)})

    report = Report.objects.get(pk=response.json()["report"])
    assert located_at(report.location, button.location)
    assert Alert.objects.get(report=report).located_by == "device"
    assert "too far" not in report.description


def test_a_call_point_call_asks_the_operator_to_call_back(api, call_point, paris):
    response = post_signed(api, TRIGGER, call_point, {"kind": "call"})

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["report"])
    assert (report.source, report.category.code, report.priority, report.author) == (
        "call_point",
        "call_point_call",
        "critical",
        None,
    )
    assert "Call back: sip:borne-rivoli@csu.paris.example." in report.description
    assert Event.objects.get(centre=paris, type="report.created").data["id"] == report.pk


def test_the_categories_offered_to_the_public_are_not_alert_categories(api, as_user, resident):
    codes = {category["code"] for category in api.get("/api/v1/categories/").json()}
    refused = as_user(resident).post(
        "/api/v1/reports/",
        {"category": "panic_alarm", "location": point_json(PARIS_HOTEL_DE_VILLE)},
        format="json",
    )

    alert_codes = {"panic_alarm", "intrusion_alarm", "medical_alarm", "call_point_call"}
    assert codes
    assert not codes & (alert_codes | {"duress_alarm"})
    assert refused.status_code == 400
    assert "category" in refused.json()["error"]["fields"]
    assert not Report.objects.exists()


# --- cameras turned toward the press (after commit: a transactional test) ----------------------


@pytest.mark.django_db(transaction=True)
def test_an_app_press_turns_the_nearest_working_ptz_camera_once(as_user, business, paris):
    shop = business.address_location
    broken = camera_at(paris, moved(shop, 20, 0), "ptz-broken", kind="ptz", status="out_of_order")
    working = camera_at(paris, moved(shop, 60, 90), "ptz-corner", kind="ptz", height_m=8)

    response = press(as_user(business))

    assert response.status_code == 201, response.content
    command = PtzCommand.objects.get()
    assert (command.camera, command.report_id, command.issued_by) == (
        working,
        response.json()["report"],
        None,
    )
    assert (command.driver, command.status) == ("simulated", "sent")
    assert command.pan_deg == pytest.approx(-90, abs=0.5)  # it looks west, at the shop
    ptz = Event.objects.get(centre=paris, type="report.ptz")
    assert [c["camera"] for c in ptz.data["commands"]] == [working.pk]
    assert broken.pk not in [c["camera"] for c in ptz.data["commands"]]

    # A retried task does not turn the camera again (an operator may have taken it over).
    assert tasks.steer_cameras(Alert.objects.get().pk) == 0
    assert PtzCommand.objects.count() == 1
    assert Event.objects.filter(type="report.ptz").count() == 1
