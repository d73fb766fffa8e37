"""The FCM backend for real: firebase-admin sends to a local HTTP v1 endpoint (fake_fcm.py).

What the SDK (firebase-admin 7.7, google-auth 2.62, urllib3 2.x) puts on the wire, which these
tests pin down:

- an OAuth2 JWT-bearer grant, POSTed form-encoded to the key's `token_uri` and signed with the
  key; the access token is then reused until it nears expiry (one per thread that finds it
  missing: see the token stampede test);
- one `POST /v1/projects/<project>/messages:send` per message, body `{"message": {...}}`,
  `Authorization: Bearer <access token>`, `X-GOOG-API-FORMAT-VERSION: 2`, sent from a pool of
  as many threads as messages;
- retries inside the SDK, from the urllib3 `Retry` mounted on its session (connect=1, read=1,
  status=4 on 500 and 503, backoff 0.5 s): a 500 or a 503 is sent 5 times, 0, 1, 2 and 4 s
  apart, before the SDK reports it; 400, 404 and 429 are sent once; a refused connection is
  tried twice, and a connection dropped unanswered is sent once more.

Rows are made through the services. In a transactional test every commit wakes the (eager)
worker at once, so rows are queued while the endpoint is down, as during an outage, and
`time_passes()` then makes them due.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any

import firebase_admin
import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User, VettingStatus
from dispatch.services import dispatch_unit
from notifications import backends
from notifications.messages import verbatim
from notifications.models import Notification, NotificationKind, PushDevice, PushMessage, Severity
from notifications.services import (
    CLAIM_EXPIRES,
    broadcast_to_area,
    notify,
    register_push_device,
    send_all_pending,
    send_pending,
)
from tests.factories import PARIS_HOTEL_DE_VILLE, UserFactory, file_report
from tests.notifications.fake_fcm import (
    INTERNAL,
    INVALID_ARGUMENT,
    OK,
    QUOTA_EXCEEDED,
    UNAVAILABLE,
    UNREGISTERED,
    FakeFcm,
)

pytestmark = pytest.mark.django_db

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # Every member made here hashes a password; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fcm(settings, tmp_path):
    """The local FCM, and the settings that point the backend at it with a fresh test key."""
    fake = FakeFcm().start()
    key = fake.write_service_account(tmp_path / "service-account.json")
    settings.FIREBASE_CREDENTIALS = str(key)
    settings.VIGIE_FCM_ENDPOINT = fake.endpoint
    settings.VIGIE_PUSH_RETRY_BASE_S = 30
    settings.VIGIE_PUSH_MAX_ATTEMPTS = 8
    backends.backend.cache_clear()
    yield fake
    backends.backend.cache_clear()
    fake.release()
    fake.stop()
    with contextlib.suppress(ValueError):
        firebase_admin.delete_app(firebase_admin.get_app("vigie"))


# --- helpers ------------------------------------------------------------------------------


def member_with_phones(username: str, centre, *tokens: str) -> User:
    member = UserFactory(username=username, role=Role.RESIDENT, centre=centre)
    for token in tokens:
        register_push_device(member, token=token, platform="android")
    return member


def residents_with_phones(centre, count: int) -> list[User]:
    """`count` approved residents of `centre` at the Hôtel de Ville, one phone each, made in
    bulk (the accounts' own services hash a password each: far too slow for a thousand)."""
    members = User.objects.bulk_create(
        User(
            username=f"resident-{i:04}",
            password="!",
            role=Role.RESIDENT,
            status=VettingStatus.APPROVED,
            address_location=PARIS_HOTEL_DE_VILLE,
        )
        for i in range(count)
    )
    User.centres.through.objects.bulk_create(
        User.centres.through(user_id=member.pk, monitoringcentre_id=centre.pk) for member in members
    )
    PushDevice.objects.bulk_create(
        PushDevice(user=member, token=f"token-{member.username}") for member in members
    )
    return members


def tell(*members: User, title: str = "Fuite de gaz") -> list[Notification]:
    with transaction.atomic():
        return notify(
            members,
            kind=NotificationKind.BROADCAST,
            texts=verbatim(title, "Restez chez vous."),
            data={"type": "broadcast", "broadcast": 7},
        )


def queued_during_an_outage(fcm: FakeFcm, *members: User) -> None:
    """Queue a notification to `members` in a committed transaction while FCM is down: the
    worker woken by the commit fails and leaves every row pending."""
    fcm.stop()
    tell(*members)
    fcm.start()
    assert not PushMessage.objects.exclude(status=PushMessage.Status.PENDING).exists()
    time_passes()


def time_passes() -> None:
    """What the beat sees once the backoff has run out: every pending row is due."""
    PushMessage.objects.filter(status=PushMessage.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )


def row(token: str) -> PushMessage:
    return PushMessage.objects.get(device__token=token)


def sends_to(fcm: FakeFcm, token: str):
    return [send for send in fcm.sends if send.token == token]


def outcome(results: dict[str, Any], name: str) -> Any:
    """What a thread's work returned (or the error it raised, raised again here)."""
    value = results[name]
    if isinstance(value, BaseException):
        raise value
    return value


def in_thread(work: Callable[[], Any], results: dict[str, Any], name: str) -> threading.Thread:
    """Run `work` on its own thread and database connection, as a second worker would."""

    def run() -> None:
        try:
            results[name] = work()
        except BaseException as error:  # surfaced by the test's assertions
            results[name] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


# --- what is sent -------------------------------------------------------------------------


def test_a_dispatch_reaches_both_phones_of_the_crew_with_high_priority(
    fcm, resident, operator, police_officer, unit
):
    register_push_device(police_officer, token="crew-android", platform="android")
    register_push_device(police_officer, token="crew-iphone", platform="ios")
    register_push_device(resident, token="author-phone", platform="android")
    report = file_report(resident, category="fight")

    intervention = dispatch_unit(report, unit=unit, operator=operator)

    # The crew's dispatch, and the author's "received" then "help is on the way".
    assert send_pending() == {"sent": 4}
    assert sorted(fcm.tokens_sent()) == [
        "author-phone",
        "author-phone",
        "crew-android",
        "crew-iphone",
    ]
    crew = Notification.objects.get(recipient=police_officer)
    assert crew.data["type"] == "dispatch"
    assert crew.data["intervention"] == str(intervention.pk)
    assert report.reference in crew.body
    for token in ("crew-android", "crew-iphone"):
        [send] = sends_to(fcm, token)
        assert send.path == "/v1/projects/vigie-test/messages:send"
        assert send.message == {
            "token": token,
            "notification": {"title": "Nouvelle intervention — PS-21", "body": crew.body},
            "data": crew.data,
            "android": {"priority": "high"},
            "apns": {"headers": {"apns-priority": "10"}},
        }
        assert all(isinstance(value, str) for value in send.message["data"].values())
        assert row(token).provider_id == send.name
    author = sends_to(fcm, "author-phone")
    assert {send.message["notification"]["title"] for send in author} == {
        "Signalement pris en compte",
        "Intervention en cours",
    }
    assert {send.message["android"]["priority"] for send in author} == {"normal"}
    assert {send.message["apns"]["headers"]["apns-priority"] for send in author} == {"5"}

    # Every send carried an access token that our token endpoint issued for the key's JWT.
    assert fcm.token_grants
    for grant in fcm.token_grants:
        assert grant["iss"] == fcm.client_email
        assert CLOUD_PLATFORM in grant["scope"].split()
    for send in fcm.sends:
        assert send.authorization.removeprefix("Bearer ") in fcm.issued
        assert send.headers["x-goog-api-format-version"] == "2"
        assert send.headers["x-firebase-client"].startswith("fire-admin-python/")

    pushes = PushMessage.objects.all()
    assert {(p.status, p.backend, p.attempts) for p in pushes} == {("sent", "fcm", 1)}
    assert sorted(p.provider_id for p in pushes) == sorted(send.name for send in fcm.sends)
    assert send_pending() == {}
    assert len(fcm.sends) == 4


def test_a_token_fcm_calls_unregistered_or_invalid_is_dropped_and_not_used_again(fcm, paris):
    fcm.answer("uninstalled", UNREGISTERED)
    fcm.answer("garbled", INVALID_ARGUMENT)
    member = member_with_phones("camille", paris, "uninstalled", "garbled", "live")
    tell(member)

    assert send_pending() == {"dropped": 2, "sent": 1}

    # 404 and 400 are final for the SDK too: one request each.
    assert sorted(fcm.tokens_sent()) == ["garbled", "live", "uninstalled"]
    assert (row("uninstalled").status, row("uninstalled").last_error) == (
        "dropped",
        "Requested entity was not found.",
    )
    assert (row("garbled").status, row("garbled").last_error) == (
        "dropped",
        "The registration token is not a valid FCM registration token",
    )
    devices = {d.token: (d.active, d.dropped_reason) for d in PushDevice.objects.all()}
    assert devices == {
        "uninstalled": (False, "Requested entity was not found."),
        "garbled": (False, "The registration token is not a valid FCM registration token"),
        "live": (True, ""),
    }

    [later] = tell(member, title="Levée de l'alerte")
    assert [p.device.token for p in later.pushes.all()] == ["live"]
    assert send_pending() == {"sent": 1}
    assert Counter(fcm.tokens_sent()) == {"uninstalled": 1, "garbled": 1, "live": 2}


def test_messages_queued_before_a_token_was_found_dead_are_dropped_without_asking_fcm(fcm, paris):
    fcm.answer("uninstalled", UNREGISTERED)
    member = member_with_phones("camille", paris, "uninstalled")
    tell(member, title="Premier message")
    tell(member, title="Second message")

    assert send_pending(limit=1) == {"dropped": 1}
    assert send_pending() == {"dropped": 1}

    assert fcm.tokens_sent() == ["uninstalled"]


# --- transient errors and the SDK's own retries ------------------------------------------


def test_the_sdk_retries_a_503_itself_and_a_send_it_recovers_is_one_attempt(fcm, paris):
    fcm.answer("phone", UNAVAILABLE, UNAVAILABLE, OK)
    tell(member_with_phones("camille", paris, "phone"))

    assert send_pending() == {"sent": 1}

    assert [send.status for send in fcm.sends] == [503, 503, 200]
    assert (row("phone").attempts, row("phone").provider_id) == (1, fcm.sends[-1].name)


def test_a_503_or_500_the_sdk_gives_up_on_leaves_the_message_for_a_later_run(fcm, paris):
    fcm.answer("phone", UNAVAILABLE)
    fcm.answer("tablet", INTERNAL)
    member = member_with_phones("camille", paris, "phone", "tablet")
    tell(member)

    before = timezone.now()
    assert send_pending() == {"pending": 2}
    after = timezone.now()

    for token, status in (("phone", 503), ("tablet", 500)):
        sends = sends_to(fcm, token)
        assert [send.status for send in sends] == [status] * 5  # once, then 4 SDK retries
        gaps = [later.at - earlier.at for earlier, later in pairwise(sends)]
        # urllib3's backoff: 0.5 s × 2^(n−1) from the second retry on.
        assert gaps[1] >= 0.95
        assert gaps[2] >= 1.95
        assert gaps[3] >= 3.95
        pending = row(token)
        assert (pending.status, pending.attempts, pending.claimed_at) == ("pending", 1, None)
        # VIGIE_PUSH_RETRY_BASE_S · 2^(attempts − 1), counted from when the outcome came.
        assert before + timedelta(seconds=30) <= pending.next_attempt_at
        assert pending.next_attempt_at <= after + timedelta(seconds=30)
    assert row("phone").last_error == "The service is currently unavailable."
    assert row("tablet").last_error == "Internal error encountered."
    assert send_pending() == {}  # not due yet

    fcm.answer("phone", OK)
    fcm.answer("tablet", OK)
    time_passes()
    assert send_pending() == {"sent": 2}

    assert Counter(fcm.delivered()) == {"phone": 1, "tablet": 1}
    assert {(p.status, p.attempts, p.last_error) for p in PushMessage.objects.all()} == {
        ("sent", 2, "")
    }
    assert row("phone").provider_id == sends_to(fcm, "phone")[-1].name


def test_a_message_fails_after_the_last_allowed_attempt(fcm, paris, settings):
    settings.VIGIE_PUSH_MAX_ATTEMPTS = 3
    fcm.answer("phone", QUOTA_EXCEEDED)
    tell(member_with_phones("camille", paris, "phone"))

    for attempt in (1, 2):
        before = timezone.now()
        assert send_pending() == {"pending": 1}
        after = timezone.now()
        backoff = timedelta(seconds=30 * 2 ** (attempt - 1))
        assert row("phone").attempts == attempt
        assert before + backoff <= row("phone").next_attempt_at <= after + backoff
        time_passes()
    assert send_pending() == {"failed": 1}

    assert (row("phone").status, row("phone").attempts) == ("failed", 3)
    assert row("phone").last_error == "Quota exceeded for the sending rate."
    assert [send.status for send in fcm.sends] == [429] * 3  # 429 is not retried by the SDK
    assert PushDevice.objects.get().active
    time_passes()
    assert send_pending() == {}


# --- outages ------------------------------------------------------------------------------


def test_while_the_endpoint_is_down_nothing_is_lost_and_once_up_each_message_goes_once(fcm, paris):
    members = [
        member_with_phones("camille", paris, "camille-phone"),
        member_with_phones("dominique", paris, "dominique-phone", "dominique-tablet"),
    ]
    tokens = ["camille-phone", "dominique-phone", "dominique-tablet"]

    # Down from the start: not even an access token can be had.
    fcm.stop()
    tell(*members, title="Premier")
    assert send_pending() == {"pending": 3}
    for token in tokens:
        assert (row(token).status, row(token).attempts) == ("pending", 1)
        assert "/token" in row(token).last_error
        assert "Connection refused" in row(token).last_error
    fcm.start()
    time_passes()
    assert send_all_pending() == {"sent": 3}
    assert sorted(fcm.delivered()) == sorted(tokens)

    # Down again, with an access token in hand: each send is refused.
    fcm.stop()
    tell(*members, title="Second")
    assert send_pending() == {"pending": 3}
    second = PushMessage.objects.filter(notification__title="Second")
    assert {p.last_error.split(":")[0] for p in second} == {"Failed to establish a connection"}
    assert send_pending() == {}  # not due: the backoff runs
    fcm.start()
    time_passes()
    assert send_all_pending() == {"sent": 3}

    assert Counter(fcm.delivered()) == dict.fromkeys(tokens, 2)
    assert len(fcm.sends) == 6  # nothing reached the server while it was down
    assert set(PushMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_broadcast_to_1001_phones_goes_out_in_batches_of_500(fcm, paris, supervisor):
    residents_with_phones(paris, 1001)
    x, y = PARIS_HOTEL_DE_VILLE.x, PARIS_HOTEL_DE_VILLE.y
    area = MultiPolygon(Polygon.from_bbox((x - 0.01, y - 0.01, x + 0.01, y + 0.01)), srid=4326)
    broadcast_to_area(
        centre=paris,
        author=supervisor,
        title="Fuite de gaz rue de Rivoli",
        body="Restez chez vous, fenêtres fermées.",
        severity=Severity.SEVERE,
        area=area,
        expires_at=timezone.now() + timedelta(hours=2),
    )
    assert PushMessage.objects.count() == 1001

    assert send_pending() == {"sent": 500}
    assert len(fcm.sends) == 500
    # The rest in two more calls of send_each (500, then 1: it refuses more than 500).
    assert send_all_pending() == {"sent": 501}

    assert Counter(fcm.tokens_sent()) == {f"token-resident-{i:04}": 1 for i in range(1001)}
    assert {send.message["android"]["priority"] for send in fcm.sends} == {"high"}
    assert set(PushMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert send_all_pending() == {}


# --- workers that die, and workers side by side ------------------------------------------


def _worker_environment(fcm: FakeFcm) -> dict[str, str]:
    db = connection.settings_dict
    credentials = f"{db['USER']}:{db['PASSWORD']}@" if db["USER"] else ""
    location = f"{db['HOST']}:{db['PORT']}" if db["HOST"] else ""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgis://{credentials}{location}/{db['NAME']}",
        "DATABASE_POOL": "0",
        "FIREBASE_CREDENTIALS": django_settings.FIREBASE_CREDENTIALS,
        "VIGIE_FCM_ENDPOINT": fcm.endpoint,
    }


WORKER = (
    "import django; django.setup(); from notifications import services; services.send_pending()"
)


@pytest.mark.django_db(transaction=True)
def test_messages_claimed_by_a_worker_that_died_are_taken_over_and_sent_once(fcm, paris):
    tokens = ["phone-a", "phone-b", "phone-c"]
    queued_during_an_outage(fcm, member_with_phones("camille", paris, *tokens))
    attempts = {token: row(token).attempts for token in tokens}

    # A worker process claims the rows and is killed while FCM has not answered.
    fcm.stall()
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", WORKER],
        cwd=django_settings.BASE_DIR,
        env=_worker_environment(fcm),
    )
    try:
        assert fcm.wait_for_sends(3, timeout=60)
    finally:
        worker.kill()
        worker.wait()
    fcm.release()  # its connections close unanswered: FCM never took the messages
    for token in tokens:
        assert row(token).claimed_at is not None
        assert (row(token).status, row(token).attempts) == ("pending", attempts[token] + 1)

    assert send_pending() == {}  # the claims still look alive
    PushMessage.objects.update(claimed_at=F("claimed_at") - CLAIM_EXPIRES - timedelta(seconds=1))
    assert send_pending() == {"sent": 3}

    assert sorted(fcm.delivered()) == tokens
    assert [send.status for send in fcm.sends] == [0, 0, 0, 200, 200, 200]
    assert all(row(token).claimed_at is None for token in tokens)


@pytest.mark.django_db(transaction=True)
def test_workers_side_by_side_never_send_the_same_message_twice(fcm, paris):
    members = residents_with_phones(paris, 150)
    queued_during_an_outage(fcm, *members)
    results: dict[str, Any] = {}

    # A worker skips the rows another worker is claiming, rather than waiting for them.
    with transaction.atomic():
        held = list(PushMessage.objects.select_for_update(of=("self",)).order_by("pk")[:30])
        worker = in_thread(lambda: send_pending(limit=20), results, "skipping")
        worker.join(timeout=30)
        assert not worker.is_alive(), "the worker waited for the locked rows"
    assert outcome(results, "skipping") == {"sent": 20}
    held_tokens = {push.device.token for push in held}
    assert not held_tokens & set(fcm.tokens_sent())

    # Two workers at once share the rest.
    start = threading.Barrier(2)

    def work() -> Counter:
        start.wait()
        total: Counter = Counter()
        while counts := send_pending(limit=15):
            total.update(counts)
        return total

    workers = [in_thread(work, results, name) for name in ("first", "second")]
    for worker in workers:
        worker.join(timeout=60)

    first, second = outcome(results, "first"), outcome(results, "second")
    assert first["sent"] + second["sent"] == 130
    assert first["sent"] > 0
    assert second["sent"] > 0
    assert Counter(fcm.tokens_sent()) == {f"token-{m.username}": 1 for m in members}
    assert set(PushMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_a_slow_worker_does_not_overwrite_the_outcome_of_the_worker_that_took_over(fcm, paris):
    queued_during_an_outage(fcm, member_with_phones("camille", paris, "phone"))
    # The takeover is accepted; the slow worker's late retry then meets a quota error.
    fcm.answer("phone", OK, QUOTA_EXCEEDED)
    results: dict[str, Any] = {}

    fcm.stall(1)
    slow = in_thread(send_pending, results, "slow worker")
    assert fcm.wait_for_sends(1)
    PushMessage.objects.update(claimed_at=F("claimed_at") - CLAIM_EXPIRES - timedelta(seconds=1))
    assert send_pending() == {"sent": 1}
    fcm.release()  # the slow request is dropped unanswered; the SDK sends it once more
    slow.join(timeout=30)

    outcome(results, "slow worker")
    assert [send.status for send in fcm.sends] == [0, 200, 429]
    assert row("phone").status == "sent"
    time_passes()
    assert send_pending() == {}
    assert fcm.delivered() == ["phone"]


# --- the access token ---------------------------------------------------------------------


def test_a_batch_asks_the_token_endpoint_once(fcm, paris):
    fcm.token_delay = 0.3  # the round trip to Google's token endpoint, roughly
    tell(member_with_phones("camille", paris, *[f"phone-{i}" for i in range(20)]))

    assert send_pending() == {"sent": 20}

    assert len(fcm.token_grants) == 1
