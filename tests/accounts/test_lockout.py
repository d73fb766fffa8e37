"""Five failed sign-ins lock a username out from that address for fifteen minutes, on every door.

Attempts are django-axes rows (AccessAttempt), rolled back with each test like any other row,
so the many wrong-password tests elsewhere never lock each other out. "Time passing" is done by
moving the attempts' time back, as the purge tests move reports back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AccessRecord, Action
from tests.factories import PASSWORD, current_otp, totp_device_for

TOKEN_URL = "/api/v1/auth/token/"
SESSION_URL = "/api/v1/auth/session/"
WRONG = "wrong-guess"
LIMIT, LOCKOUT_S = 5, 15 * 60  # VIGIE_LOGIN_FAILURES, VIGIE_LOGIN_LOCKOUT_MINUTES defaults


class Door:
    """One way in, driven as its client would: the apps' JSON doors, or the admin's form."""

    def __init__(self, name: str, user, address: str = "198.51.100.7") -> None:
        self.name, self.user = name, user
        self.client = APIClient(REMOTE_ADDR=address)

    def attempt(self, password: str = WRONG, **extra):
        credentials = {"username": self.user.username, "password": password, **extra}
        if self.name == "admin":
            credentials = {**credentials, "next": "/admin/"}
            if "otp" in credentials:
                credentials["otp_token"] = credentials.pop("otp")
            return self.client.post("/admin/login/", credentials)
        url = TOKEN_URL if self.name == "token" else SESSION_URL
        return self.client.post(url, credentials, format="json")

    def right(self):
        if self.user.role == "resident":
            return self.attempt(PASSWORD)
        return self.attempt(PASSWORD, otp=current_otp(totp_device_for(self.user)))

    def refused(self, response) -> bool:
        # The admin's form answers a failure with the page again (200), the API with a 401.
        return response.status_code == (200 if self.name == "admin" else 401)

    def admitted(self, response) -> bool:
        return response.status_code == (302 if self.name == "admin" else 200)


DOORS = [("token", "resident"), ("session", "operator"), ("admin", "admin_user")]


@pytest.fixture(params=DOORS, ids=[door for door, _ in DOORS])
def door(request):
    name, who = request.param
    return Door(name, request.getfixturevalue(who))


def locked(response) -> bool:
    return response.status_code == 429 and response.json()["error"]["code"] == "locked_out"


def test_the_fifth_failure_locks_out_with_retry_after_even_the_right_password(door):
    answers = [door.attempt() for _ in range(LIMIT)]

    assert all(door.refused(answer) for answer in answers[:-1])
    assert locked(answers[-1])
    assert LOCKOUT_S - 5 <= int(answers[-1]["Retry-After"]) <= LOCKOUT_S
    right = door.right()
    assert locked(right)
    assert 1 <= int(right["Retry-After"]) <= LOCKOUT_S
    assert AccessRecord.objects.filter(
        action=Action.LOGIN_FAILED, detail__reason="locked_out", detail__door=door.name
    ).exists()


def test_the_lockout_ends_when_retry_after_said(door):
    for _ in range(LIMIT):
        door.attempt()
    assert locked(door.right())

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=LOCKOUT_S + 1))

    assert door.admitted(door.right())


def test_a_sign_in_clears_the_failures_before_it(door):
    for _ in range(LIMIT - 1):
        door.attempt()
    assert door.admitted(door.right())

    assert not AccessAttempt.objects.exists()
    again = [door.attempt() for _ in range(LIMIT - 1)]
    assert all(door.refused(answer) for answer in again)


def test_wrong_codes_count_like_wrong_passwords(operator):
    door = Door("session", operator)
    device = totp_device_for(operator)
    wrong = f"{(int(current_otp(device)) + 1) % 1_000_000:06d}"

    answers = [door.attempt(PASSWORD, otp=wrong) for _ in range(LIMIT)]

    assert [a.json()["error"]["code"] for a in answers[:-1]] == ["otp_invalid"] * (LIMIT - 1)
    assert locked(answers[-1])


def test_asking_for_the_code_is_not_a_failure(operator):
    door = Door("session", operator)
    totp_device_for(operator)
    answers = [door.attempt(PASSWORD) for _ in range(LIMIT + 1)]
    assert {a.json()["error"]["code"] for a in answers} == {"otp_required"}
    assert not AccessAttempt.objects.exists()


def test_the_lockout_holds_one_username_from_one_address(operator, supervisor):
    for _ in range(LIMIT):
        Door("session", operator).attempt()

    assert locked(Door("session", operator).right())
    assert Door("session", operator, address="203.0.113.9").admitted(
        Door("session", operator, address="203.0.113.9").right()
    )
    assert Door("session", supervisor).admitted(Door("session", supervisor).right())


def test_the_username_counts_whatever_its_case(resident):
    door = Door("token", resident)
    for name in ["resident", "Resident", "RESIDENT", "resIdent", "residenT"]:
        last = door.client.post(TOKEN_URL, {"username": name, "password": "x"}, format="json")
    assert locked(last)


def test_authenticate_without_a_request_still_works(resident, client):
    # Scripts and Django's test client sign in without a request: nothing to count, no error.
    assert authenticate(username="resident", password=PASSWORD) == resident
    assert client.login(username="resident", password=PASSWORD)
