"""Staff give a code from their authenticator app as well as their password; members never do."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.checks import staff_second_factor
from audit.models import AccessRecord, Action
from tests.factories import PASSWORD, current_otp, totp_device_for, verified_login

TOKEN_URL = "/api/v1/auth/token/"
SESSION_URL = "/api/v1/auth/session/"


def sign_in(client, user, url=SESSION_URL, **extra):
    return client.post(
        url, {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.parametrize("who", ["operator", "supervisor", "vetting_officer", "admin_user"])
def test_staff_without_a_code_are_asked_for_one_and_get_no_session(api, request, who):
    user = request.getfixturevalue(who)
    totp_device_for(user)

    response = sign_in(api, user)

    assert response.status_code == 401
    assert error_code(response) == "otp_required"
    assert "sessionid" not in response.cookies


def test_the_right_code_opens_a_session_verified_by_the_device(api, operator):
    device = totp_device_for(operator)

    response = sign_in(api, operator, otp=current_otp(device))

    assert response.status_code == 200
    assert api.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert api.get("/api/v1/reports/").status_code == 200
    row = AccessRecord.objects.get(action=Action.LOGIN)
    assert (row.actor_username, row.detail) == (
        "operator",
        {"door": "session", "second_factor": True},
    )


def test_a_code_with_a_space_in_the_middle_is_taken(api, operator):
    code = current_otp(totp_device_for(operator))
    response = sign_in(api, operator, otp=f"{code[:3]} {code[3:]}")
    assert response.status_code == 200


def test_a_wrong_code_is_refused_counted_and_traced(api, operator):
    from axes.models import AccessAttempt

    device = totp_device_for(operator)
    wrong = f"{(int(current_otp(device)) + 1) % 1_000_000:06d}"

    response = sign_in(api, operator, otp=wrong)

    assert response.status_code == 401
    assert error_code(response) == "otp_invalid"
    assert "sessionid" not in response.cookies
    assert AccessAttempt.objects.get(username="operator").failures_since_start == 1
    failed = AccessRecord.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.actor_username, failed.detail["reason"]) == ("operator", "otp_invalid")


def test_a_code_is_taken_only_once(api, operator):
    device = totp_device_for(operator)
    code = current_otp(device)
    assert sign_in(api, operator, otp=code).status_code == 200

    again = sign_in(APIClient(), operator, otp=code)

    assert again.status_code == 401
    assert error_code(again) == "otp_invalid"


def test_staff_without_an_authenticator_are_told_to_ask_an_administrator(api, operator):
    response = sign_in(api, operator, otp="123456")

    assert response.status_code == 403
    assert error_code(response) == "otp_not_set_up"
    assert "administrator" in response.json()["error"]["message"]


def test_a_wrong_password_is_said_before_any_question_of_code(api, operator):
    totp_device_for(operator)
    response = api.post(SESSION_URL, {"username": "operator", "password": "nope"}, format="json")
    assert error_code(response) == "invalid_credentials"


class TestPoliceApp:
    def test_an_officer_gives_a_code_for_a_token(self, api, police_officer):
        device = totp_device_for(police_officer)

        assert error_code(sign_in(api, police_officer, TOKEN_URL)) == "otp_required"
        response = sign_in(api, police_officer, TOKEN_URL, otp=current_otp(device))

        assert response.status_code == 200
        assert response.json()["role"] == "police"

    def test_an_officer_without_an_authenticator_gets_no_token(self, api, police_officer):
        response = sign_in(api, police_officer, TOKEN_URL)
        assert (response.status_code, error_code(response)) == (403, "otp_not_set_up")
        assert "token" not in response.json()


@pytest.mark.parametrize("who", ["resident", "business", "pending_resident"])
def test_members_of_the_public_are_never_asked_for_a_code(api, request, who):
    user = request.getfixturevalue(who)
    response = sign_in(api, user, TOKEN_URL)
    assert response.status_code == 200
    assert response.json()["token"]


def test_with_the_second_factor_off_staff_sign_in_with_a_password(api, operator, settings):
    settings.VIGIE_STAFF_OTP = False
    response = sign_in(api, operator)
    assert response.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in api.session


def test_check_deploy_warns_when_the_second_factor_is_off(settings):
    settings.DEBUG = False
    assert staff_second_factor() == []
    settings.VIGIE_STAFF_OTP = False
    assert [warning.id for warning in staff_second_factor()] == ["accounts.W001"]
    settings.DEBUG = True  # a laptop demo: nothing to say
    assert staff_second_factor() == []


class TestAdmin:
    def test_a_session_not_verified_by_a_code_does_not_open_the_admin(self, client, admin_user):
        client.force_login(admin_user)
        session = client.session
        session.pop(DEVICE_ID_SESSION_KEY, None)
        session.save()
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_a_verified_session_opens_the_admin(self, client, admin_user):
        verified_login(client, admin_user)
        assert client.get("/admin/").status_code == 200

    def test_the_session_door_verifies_the_session_for_the_admin_too(self, admin_user):
        client = APIClient()
        code = current_otp(totp_device_for(admin_user))
        assert sign_in(client, admin_user, otp=code).status_code == 200
        assert client.get("/admin/").status_code == 200

    def test_the_admin_sign_in_asks_for_the_code_in_the_same_form(self, client, admin_user):
        device = totp_device_for(admin_user)
        form = {"username": "cityadmin", "password": PASSWORD, "next": "/admin/"}

        page = client.get("/admin/login/")
        assert 'autocomplete="one-time-code"' in page.content.decode()
        without = client.post("/admin/login/", form)
        assert without.status_code == 200
        assert client.get("/admin/").status_code == 302

        done = client.post("/admin/login/", {**form, "otp_token": current_otp(device)})
        assert done.status_code == 302
        assert client.get("/admin/").status_code == 200
        trail = AccessRecord.objects.filter(actor_username="cityadmin").order_by("at", "id")
        assert [(r.action, r.detail.get("reason")) for r in trail] == [
            (Action.LOGIN_FAILED, "otp_required"),
            (Action.LOGIN, None),
        ]
        assert trail.last().detail == {"door": "admin", "second_factor": True}


class TestEnrolment:
    def run(self, *args):
        out = io.StringIO()
        call_command(*args, stdout=out)
        return json.loads(out.getvalue().strip().splitlines()[-1])

    def test_create_user_prints_a_new_staff_members_authenticator_once(self, paris):
        args = ("create_user", "dupont", "--role", "operator", "--centre", "paris-csu")
        first = self.run(*args, "--password", PASSWORD)
        again = self.run(*args, "--password", PASSWORD)

        uri = urlsplit(first["otp_uri"])
        assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Vigie%3Adupont")
        assert parse_qs(uri.query)["issuer"] == ["Vigie"]
        assert "otp_uri" not in again
        assert TOTPDevice.objects.filter(user__username="dupont").count() == 1

    def test_create_user_gives_members_no_authenticator(self, paris):
        result = self.run(
            "create_user",
            "voisin",
            "--role",
            "resident",
            "--centre",
            "paris-csu",
            "--password",
            PASSWORD,
        )
        assert "otp_uri" not in result
        assert not TOTPDevice.objects.exists()

    def test_reset_otp_replaces_the_device_and_the_old_codes_stop_working(self, api, operator):
        old = totp_device_for(operator)
        old_code = current_otp(old)

        result = self.run("reset_otp", "operator")

        new = TOTPDevice.objects.get(user=operator)
        assert new.pk != old.pk
        assert result["otp_uri"] == new.config_url
        assert error_code(sign_in(api, operator, otp=old_code)) == "otp_invalid"
        new.refresh_from_db()
        new.throttle_reset()  # a wrong code slows the device down for a second (django-otp)
        assert sign_in(api, operator, otp=current_otp(new)).status_code == 200
        changes = AccessRecord.objects.filter(action=Action.CHANGE, target_id=operator.pk)
        assert [c.detail for c in changes.order_by("id")] == [
            {"second_factor": "set_up"},
            {"second_factor": "replaced"},
        ]

    def test_reset_otp_refuses_a_member(self, resident):
        out = io.StringIO()
        with pytest.raises(Exception, match="second factor"):
            call_command("reset_otp", "resident", stdout=out)
        assert json.loads(out.getvalue().strip().splitlines()[-1])["error"]["code"] == "not_staff"
