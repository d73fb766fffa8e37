"""Token sign-in for apps, session sign-in for staff."""

from __future__ import annotations

import pytest

from accounts import services
from tests.factories import PASSWORD, current_otp, totp_device_for

TOKEN_URL = "/api/v1/auth/token/"
SESSION_URL = "/api/v1/auth/session/"


def test_token_login_returns_a_working_token_with_role_and_status(api, resident):
    assert api.get("/api/v1/reports/").status_code == 401
    response = api.post(TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["status"]) == ("resident", "approved")
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/v1/reports/").status_code == 200


def test_the_police_app_gets_a_token(api, police_officer):
    otp = current_otp(totp_device_for(police_officer))
    response = api.post(
        TOKEN_URL, {"username": "police", "password": PASSWORD, "otp": otp}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "police"


@pytest.mark.parametrize("who", ["operator", "vetting_officer", "admin_user"])
def test_centre_staff_are_sent_to_the_session_login(api, request, who):
    user = request.getfixturevalue(who)
    response = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "use_session_login"


def test_a_pending_member_gets_a_token_and_learns_they_are_pending(api, pending_resident):
    response = api.post(TOKEN_URL, {"username": "applicant", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_wrong_password_is_401(api, resident):
    response = api.post(TOKEN_URL, {"username": "resident", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_unknown_user_answers_like_a_wrong_password(api, db):
    response = api.post(TOKEN_URL, {"username": "ghost", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_a_revoked_member_cannot_sign_in(api, resident, vetting_officer):
    services.revoke_member(resident, by=vetting_officer, reason="abuse")
    response = api.post(TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_revoked"


def test_missing_password_is_400(api, db):
    response = api.post(TOKEN_URL, {"username": "resident"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["password"]


def test_a_bad_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.post("/api/v1/residents/1/approve/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_login_is_throttled_with_retry_after(api, resident):
    for _ in range(10):  # VIGIE_THROTTLE_LOGIN defaults to 10/min
        api.post(TOKEN_URL, {"username": "resident", "password": "guess"}, format="json")
    response = api.post(TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def staff_credentials(user) -> dict:
    return {
        "username": user.username,
        "password": PASSWORD,
        "otp": current_otp(totp_device_for(user)),
    }


class TestSession:
    def test_staff_get_a_session_and_a_csrf_cookie(self, api, operator):
        response = api.post(SESSION_URL, staff_credentials(operator), format="json")
        assert response.status_code == 200
        body = response.json()
        assert body["role"] == "operator"
        assert [c["slug"] for c in body["centres"]] == ["paris-csu"]
        assert "sessionid" in response.cookies
        assert "csrftoken" in response.cookies

    @pytest.mark.parametrize("who", ["resident", "bakery"])
    def test_members_of_the_public_are_refused(self, api, resident, business, who):
        response = api.post(SESSION_URL, {"username": who, "password": PASSWORD}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "staff_only"
        assert "sessionid" not in response.cookies

    def test_signing_out_needs_the_csrf_token(self, operator):
        from rest_framework.test import APIClient

        client = APIClient(enforce_csrf_checks=True)
        signed_in = client.post(SESSION_URL, staff_credentials(operator), format="json")
        csrf = signed_in.cookies["csrftoken"].value

        refused = client.delete(SESSION_URL)
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["error"]["message"]

        done = client.delete(SESSION_URL, HTTP_X_CSRFTOKEN=csrf)
        assert done.status_code == 204
        again = client.delete(SESSION_URL, HTTP_X_CSRFTOKEN=csrf)
        assert again.status_code in (401, 403)


def test_session_login_is_throttled_too(api, operator):
    for _ in range(10):
        api.post(SESSION_URL, {"username": "operator", "password": "guess"}, format="json")
    response = api.post(SESSION_URL, staff_credentials(operator), format="json")
    assert response.status_code == 429
    assert "sessionid" not in response.cookies


def test_enrolment_is_throttled_per_address(api, paris):
    from rest_framework.throttling import ScopedRateThrottle

    saved = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**saved, "enrolment": "2/hour"}
    try:
        answers = [
            api.post("/api/v1/residents/", {"username": f"u{i}"}, format="json").status_code
            for i in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = saved
    assert answers == [400, 400, 429]


def test_an_app_signs_out_and_its_token_stops_working_but_not_the_others(api, resident):
    credentials = {"username": resident.username, "password": PASSWORD}
    first = api.post(TOKEN_URL, credentials, format="json").json()["token"]
    second = api.post(TOKEN_URL, credentials, format="json").json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.delete(TOKEN_URL).status_code == 204
    assert api.get("/api/v1/reports/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/v1/reports/").status_code == 200


def test_signing_out_without_a_token_is_401(api, db):
    assert api.delete(TOKEN_URL).status_code == 401
