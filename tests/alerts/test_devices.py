"""The device registry: `manage.py create_device`, the admin's secret rotation and revocation,
and the PINs a business chooses for its app button."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from alerts import services
from alerts.models import Device, RefusedDeviceRequest
from common.errors import InvalidInput
from tests.factories import (
    BUTTON_PIN,
    LYON_BELLECOUR,
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    SAINT_DENIS_BASILICA,
    moved,
    post_signed,
)

pytestmark = pytest.mark.django_db

HEARTBEAT = "/api/v1/alerts/heartbeat/"
PINS = "/api/v1/alerts/pins/"
CHANGELIST = "/admin/alerts/device/"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # PINs and passwords are hashed in every fixture; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_device(*args: str, where=PARIS_HOTEL_DE_VILLE):
    """Run the command; return its last line (a JSON object) and whether it succeeded."""
    out = io.StringIO()
    base = ["create_device", "--centre", "paris-csu", "--lon", str(where.x), "--lat", str(where.y)]
    try:
        call_command(*base, *args, stdout=out)
        succeeded = True
    except CommandError:
        succeeded = False
    return json.loads(out.getvalue().strip().splitlines()[-1]), succeeded


# --- manage.py create_device -----------------------------------------------------------------


def test_create_device_prints_the_id_and_the_secret_the_device_then_signs_with(api, paris):
    where = moved(PARIS_HOTEL_DE_VILLE, 200, 90)

    printed, ok = create_device(
        "--kind",
        "call_point",
        "--name",
        "Borne quai de l'Hôtel de Ville",
        "--heartbeat",
        "120",
        "--sip-uri",
        "sip:borne-quai@csu.paris.example",
        "--dc09-account",
        "1a2b",
        "--cancel-pin",
        "4321",
        where=where,
    )

    assert ok
    device = Device.objects.get()
    assert printed == {
        "id": device.pk,
        "secret": device.secret,
        "kind": "call_point",
        "centre": "paris-csu",
    }
    assert len(device.secret) == 64
    assert (device.name, device.centre, device.heartbeat_interval_s, device.dc09_account) == (
        "Borne quai de l'Hôtel de Ville",
        paris,
        120,
        "1A2B",
    )
    assert device.location.equals_exact(where, 1e-9)
    assert device.cancel_pin != "4321"
    assert check_password("4321", device.cancel_pin)
    device.secret = printed["secret"]  # what the installer loads into the device
    assert post_signed(api, HEARTBEAT, device).status_code == 204


@pytest.mark.parametrize(
    "where", [LYON_BELLECOUR, SAINT_DENIS_BASILICA], ids=["Lyon", "Saint-Denis"]
)
def test_create_device_refuses_a_place_outside_the_centre(paris, saint_denis, where):
    printed, ok = create_device("--kind", "alert_button", "--name", "Ailleurs", where=where)

    assert not ok
    assert printed["error"]["code"] == "outside_jurisdiction"
    assert "location" in printed["error"]["fields"]
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(["--dc09-account", "XYZ1"], "dc09_account", id="account not hex"),
        pytest.param(["--dc09-account", "12"], "dc09_account", id="account too short"),
        pytest.param(["--dc09-account", "1" * 17], "dc09_account", id="account too long"),
        pytest.param(["--dc09-account", "1234", "--dc09-key", "abc"], "dc09_key", id="short key"),
        pytest.param(
            ["--dc09-account", "1234", "--dc09-key", "g" * 32], "dc09_key", id="key not hex"
        ),
        pytest.param(["--dc09-key", "a" * 32], "dc09_key", id="key without account"),
        pytest.param(["--cancel-pin", "12"], "cancel_pin", id="PIN too short"),
        pytest.param(
            ["--cancel-pin", "1234", "--duress-pin", "1234"], "duress_pin", id="same PINs"
        ),
    ],
)
def test_create_device_refuses_bad_dc09_settings_and_pins(paris, args, field):
    printed, ok = create_device("--kind", "alert_button", "--name", "Bijouterie", *args)

    assert not ok
    assert printed["error"]["code"] == "invalid"
    assert field in printed["error"]["fields"]
    assert not Device.objects.exists()


def test_create_device_refuses_a_dc09_account_already_in_use(paris):
    create_device("--kind", "alert_button", "--name", "Bijouterie", "--dc09-account", "abcd")

    printed, ok = create_device(
        "--kind", "alert_button", "--name", "Horlogerie", "--dc09-account", "ABCD"
    )

    assert not ok
    assert printed["error"]["code"] == "duplicate_account"
    assert Device.objects.get().name == "Bijouterie"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--duress-pin", "9999"], id="duress PIN without cancel PIN"),
        pytest.param(["--owner", "nobody-here"], id="unknown owner"),
    ],
)
def test_create_device_refuses_incomplete_arguments(paris, args):
    printed, ok = create_device("--kind", "alert_button", "--name", "Bijouterie", *args)

    assert not ok
    assert printed["error"]["code"] == "command_error"
    assert not Device.objects.exists()


def test_the_registry_refuses_what_a_device_cannot_be(paris, button):
    with pytest.raises(InvalidInput) as too_often:
        services.register_device(
            kind="alert_button",
            centre=paris,
            location=PARIS_HOTEL_DE_VILLE,
            name="Bavard",
            heartbeat_interval_s=5,
        )
    with pytest.raises(InvalidInput) as not_editable:
        services.update_device(button, secret="0" * 64, status="active")

    assert "heartbeat_interval_s" in too_often.value.fields
    assert set(not_editable.value.fields) == {"secret", "status"}
    assert Device.objects.get() == button


# --- the admin: rotation and revocation --------------------------------------------------------


def test_a_rotated_secret_is_shown_once_and_the_old_one_is_refused_at_once(
    api, client, admin_user, button
):
    client.force_login(admin_user)
    old_secret = button.secret

    page = client.post(
        CHANGELIST, {"action": "rotate_secrets", "_selected_action": [button.pk]}, follow=True
    )

    assert page.status_code == 200
    rotated = Device.objects.get(pk=button.pk)
    assert rotated.secret != old_secret
    assert rotated.secret in page.content.decode()
    assert rotated.secret_rotated_at > button.secret_rotated_at
    with_old_secret = post_signed(api, HEARTBEAT, button)
    assert with_old_secret.status_code == 401
    assert RefusedDeviceRequest.objects.get().reason == "bad_signature"
    assert post_signed(api, HEARTBEAT, rotated).status_code == 204


def test_a_device_revoked_from_the_admin_is_refused_at_once(api, client, admin_user, button):
    client.force_login(admin_user)

    page = client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [button.pk]}, follow=True
    )

    assert "1 device(s) revoked." in page.content.decode()
    assert Device.objects.get(pk=button.pk).status == "revoked"
    refused = post_signed(api, "/api/v1/alerts/trigger/", button, {"kind": "panic"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "device_refused"
    audit = RefusedDeviceRequest.objects.get()
    assert (audit.reason, audit.device) == ("revoked", button)
    assert not button.alerts.exists()


def test_devices_are_added_by_the_command_not_the_admin(client, admin_user, paris):
    client.force_login(admin_user)

    assert client.get(f"{CHANGELIST}add/").status_code == 403


def change_form(device: Device, **changes) -> dict:
    return {
        "name": device.name,
        "sip_uri": device.sip_uri,
        "model_notes": device.model_notes,
        "heartbeat_interval_s": device.heartbeat_interval_s,
        "dc09_account": device.dc09_account or "",
        "dc09_key": device.dc09_key,
        "new_cancel_pin": "",
        "new_duress_pin": "",
        **changes,
    }


def test_the_admin_edits_a_device_and_sets_new_pins(client, admin_user, button):
    client.force_login(admin_user)

    response = client.post(
        f"{CHANGELIST}{button.pk}/change/",
        change_form(button, name="Boulangerie, 3 rue du Temple", new_cancel_pin="97531"),
    )

    assert response.status_code == 302
    device = Device.objects.get(pk=button.pk)
    assert device.name == "Boulangerie, 3 rue du Temple"
    assert check_password("97531", device.cancel_pin)
    assert not check_password(BUTTON_PIN, device.cancel_pin)
    assert device.secret == button.secret


@pytest.mark.parametrize(
    "changes",
    [{"new_cancel_pin": "12"}, {"new_duress_pin": "5555"}, {"dc09_account": "XYZ1"}],
    ids=["short PIN", "duress PIN alone", "account not hex"],
)
def test_the_admin_shows_bad_pins_and_dc09_settings_as_form_errors(
    client, admin_user, button, changes
):
    client.force_login(admin_user)

    response = client.post(f"{CHANGELIST}{button.pk}/change/", change_form(button, **changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Device.objects.get(pk=button.pk).cancel_pin == button.cancel_pin


# --- the PINs of a business's app button -------------------------------------------------------


def test_a_business_sets_its_app_button_pins_with_its_password(as_user, business):
    response = as_user(business).post(
        PINS, {"password": PASSWORD, "cancel_pin": "8642", "duress_pin": "9753"}, format="json"
    )

    assert response.status_code == 204
    device = Device.objects.get(owner=business, in_app=True)
    assert check_password("8642", device.cancel_pin)
    assert check_password("9753", device.duress_pin)
    assert "8642" not in device.cancel_pin


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"cancel_pin": "8642"}, 400, "invalid", id="no password"),
        pytest.param(
            {"password": "not-my-password", "cancel_pin": "8642"},
            403,
            "wrong_password",
            id="wrong password",
        ),
        pytest.param({"password": PASSWORD, "cancel_pin": "12"}, 400, "invalid", id="short PIN"),
        pytest.param(
            {"password": PASSWORD, "cancel_pin": "8642", "duress_pin": "8642"},
            400,
            "invalid",
            id="duress PIN same as cancel PIN",
        ),
    ],
)
def test_pins_are_not_changed_without_the_password_or_with_bad_pins(
    as_user, business, body, status, code
):
    response = as_user(business).post(PINS, body, format="json")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Device.objects.filter(owner=business, in_app=True, cancel_pin__gt="").exists()


def test_only_a_business_has_app_button_pins(as_user, resident):
    response = as_user(resident).post(
        PINS, {"password": PASSWORD, "cancel_pin": "8642"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "business_only"
    assert not Device.objects.exists()
