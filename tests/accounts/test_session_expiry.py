"""A staff session ends after VIGIE_SESSION_IDLE_MINUTES without use, and after one shift
whatever the use. "Time passing" is done by moving the session's clock back."""

from __future__ import annotations

import time

from rest_framework.test import APIClient

from accounts.sessions import SEEN_AT, SIGNED_IN_AT, session_lapsed
from audit.models import AccessRecord, Action
from tests.factories import PASSWORD, current_otp, totp_device_for

SESSION_URL = "/api/v1/auth/session/"
IDLE_S, SHIFT_S = 30 * 60, 12 * 3600  # the defaults


def console_of(user) -> APIClient:
    client = APIClient()
    credentials = {
        "username": user.username,
        "password": PASSWORD,
        "otp": current_otp(totp_device_for(user)),
    }
    assert client.post(SESSION_URL, credentials, format="json").status_code == 200
    return client


def move_clock(client: APIClient, **seconds_ago: int) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"seen": SEEN_AT, "signed_in": SIGNED_IN_AT}[key]] = now - ago
    session.save()


def test_the_sign_in_starts_both_clocks(operator):
    console = console_of(operator)
    session = console.session
    assert abs(session[SIGNED_IN_AT] - time.time()) < 5
    assert session[SEEN_AT] == session[SIGNED_IN_AT]


def test_a_session_left_idle_is_over_at_the_next_call(operator):
    console = console_of(operator)
    move_clock(console, seen=IDLE_S + 1)

    response = console.get("/api/v1/reports/")

    assert response.status_code == 401
    assert console.get(SESSION_URL).status_code == 401  # and stays over
    ended = AccessRecord.objects.get(action=Action.LOGOUT)
    assert (ended.actor_username, ended.detail) == ("operator", {"reason": "idle"})


def test_use_keeps_the_session_and_moves_its_clock(operator):
    console = console_of(operator)
    move_clock(console, seen=IDLE_S - 60)

    keep_alive = console.get(SESSION_URL)

    assert keep_alive.status_code == 200
    assert keep_alive.json()["username"] == "operator"
    assert abs(console.session[SEEN_AT] - time.time()) < 5
    assert console.get("/api/v1/reports/").status_code == 200


def test_a_session_ends_after_one_shift_however_busy(operator):
    console = console_of(operator)
    move_clock(console, signed_in=SHIFT_S + 1, seen=10)

    assert console.get("/api/v1/reports/").status_code == 401
    ended = AccessRecord.objects.get(action=Action.LOGOUT)
    assert ended.detail == {"reason": "shift_over"}


def test_the_idle_limit_is_a_setting(operator, settings):
    settings.VIGIE_SESSION_IDLE_MINUTES = 5
    console = console_of(operator)
    move_clock(console, seen=5 * 60 + 1)
    assert console.get("/api/v1/reports/").status_code == 401


def test_a_session_made_without_a_door_has_no_clock_and_costs_no_write(client, operator):
    client.force_login(operator)
    assert client.get(SESSION_URL).status_code == 200
    assert SEEN_AT not in client.session
    assert session_lapsed(client.session) is None


def test_the_admin_door_starts_the_clock_too(client, admin_user):
    form = {"username": "cityadmin", "password": PASSWORD, "next": "/admin/"}
    form["otp_token"] = current_otp(totp_device_for(admin_user))
    assert client.post("/admin/login/", form).status_code == 302
    assert abs(client.session[SIGNED_IN_AT] - time.time()) < 5
    move_clock(client, seen=IDLE_S + 1)
    assert client.get("/admin/").status_code == 302  # back to the sign-in page


def test_signing_out_is_traced(operator):
    console = console_of(operator)
    csrf = console.cookies["csrftoken"].value
    assert console.delete(SESSION_URL, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert AccessRecord.objects.get(action=Action.LOGOUT).detail == {"door": "session"}


def test_who_am_i_needs_a_session(api, db):
    assert api.get(SESSION_URL).status_code == 401


def test_session_lapsed_reads_only_the_session():
    now = 1_000_000
    assert session_lapsed({}, now=now) is None
    assert session_lapsed({SIGNED_IN_AT: now - 60, SEEN_AT: now - 60}, now=now) is None
    assert session_lapsed({SIGNED_IN_AT: now, SEEN_AT: now - IDLE_S - 1}, now=now) == "idle"
    assert session_lapsed({SIGNED_IN_AT: now - SHIFT_S - 1, SEEN_AT: now}, now=now) == (
        "shift_over"
    )
