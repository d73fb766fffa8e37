"""Where units are: fixes from their officers' devices, what is refused, and how the console
is told (one coalesced `unit.position` event per centre, not one per fix)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role
from dispatch import tasks
from dispatch.models import Unit, UnitPosition
from dispatch.services import create_unit, publish_unit_positions, record_position
from live.models import Event
from tests.factories import (
    LYON_BELLECOUR,
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    moved,
    point_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def last_seq(centre) -> int:
    return Event.objects.filter(centre=centre).aggregate(seq=Max("seq"))["seq"] or 0


def new_events(centre, seq: int) -> list[Event]:
    return list(Event.objects.filter(centre=centre, seq__gt=seq).order_by("seq"))


def send_fix(client, unit, where, *, after=None, at=None, accuracy_m=8):
    """POST a fix as the police app does; `after` seconds past the unit's last, or `at`."""
    if at is None:
        at = unit.last_recorded_at + timedelta(seconds=after) if after else timezone.now()
    body = {"location": point_json(where), "recorded_at": at.isoformat()}
    if accuracy_m is not None:
        body["accuracy_m"] = accuracy_m
    return client.post(f"/api/v1/units/{unit.pk}/position/", body, format="json")


def assert_unit_did_not_move(unit):
    stored = Unit.objects.get(pk=unit.pk)
    assert stored.last_location.equals_exact(unit.last_location, 1e-9)
    assert stored.last_recorded_at == unit.last_recorded_at
    assert UnitPosition.objects.filter(unit=unit).count() == 1


# --- recording ------------------------------------------------------------------------------


def test_a_member_records_a_fix_and_the_unit_moves_quietly(paris, police_officer, unit, as_user):
    where = moved(PARIS_HOTEL_DE_VILLE, 350, 60)  # 100 m or so from the last fix
    before = last_seq(paris)

    response = send_fix(as_user(police_officer), unit, where, after=30, accuracy_m=6)

    assert response.status_code == 204, response.content
    latest = UnitPosition.objects.filter(unit=unit).first()  # newest first
    assert latest.location.equals_exact(where, 1e-9)
    assert (latest.accuracy_m, latest.reported_by) == (6, police_officer)
    assert latest.recorded_at == unit.last_recorded_at + timedelta(seconds=30)
    stored = Unit.objects.get(pk=unit.pk)
    assert stored.last_location.equals_exact(where, 1e-9)
    assert (stored.last_accuracy_m, stored.last_recorded_at) == (6, latest.recorded_at)
    assert abs(stored.last_seen_at - timezone.now()) < timedelta(seconds=10)
    # Positions reach the console in batches (publish_unit_positions), never one per fix.
    assert last_seq(paris) == before


def test_an_operator_cannot_report_a_units_position(paris, operator, unit, as_user):
    response = send_fix(as_user(operator), unit, moved(PARIS_HOTEL_DE_VILLE, 320, 45), after=30)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "not_your_unit"
    assert_unit_did_not_move(unit)


def test_a_police_officer_cannot_move_another_unit(paris, saint_denis, unit, as_user):
    colleague = UserFactory(username="colleague", role=Role.POLICE, centre=paris)
    create_unit(centre=paris, callsign="PS-99", members=[colleague])
    stranger = UserFactory(username="police-sd", role=Role.POLICE, centre=saint_denis)
    for officer in (colleague, stranger):
        response = send_fix(as_user(officer), unit, moved(PARIS_HOTEL_DE_VILLE, 320, 45), after=30)
        assert response.status_code == 404, response.content
    assert_unit_did_not_move(unit)


def test_another_centres_staff_do_not_find_the_unit(outsider_operator, unit, as_user):
    response = send_fix(as_user(outsider_operator), unit, PARIS_HOTEL_DE_VILLE, after=30)
    assert response.status_code == 404, response.content
    assert_unit_did_not_move(unit)


def test_residents_and_strangers_are_refused(resident, unit, api, as_user):
    assert send_fix(as_user(resident), unit, PARIS_HOTEL_DE_VILLE, after=30).status_code == 403
    assert send_fix(api, unit, PARIS_HOTEL_DE_VILLE, after=30).status_code == 401
    assert_unit_did_not_move(unit)


def test_a_fix_the_unit_could_not_have_reached_is_refused(police_officer, unit, as_user):
    # 5 km in 10 s is 1,800 km/h.
    response = send_fix(
        as_user(police_officer), unit, moved(PARIS_HOTEL_DE_VILLE, 5000, 270), after=10
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "implausible_position"
    assert "location" in response.json()["error"]["fields"]
    assert_unit_did_not_move(unit)


def test_the_same_distance_at_a_car_speed_is_kept(paris, police_officer, as_user):
    car = create_unit(centre=paris, callsign="PS-30", members=[police_officer])
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    record_position(
        car,
        location=PARIS_HOTEL_DE_VILLE,
        recorded_at=five_minutes_ago,
        accuracy_m=5,
        by=police_officer,
    )
    car.refresh_from_db()
    # 5 km in 5 minutes is 60 km/h.
    response = send_fix(as_user(police_officer), car, moved(PARIS_HOTEL_DE_VILLE, 5000, 270))
    assert response.status_code == 204, response.content
    assert UnitPosition.objects.filter(unit=car).count() == 2


def test_a_fix_far_outside_the_centres_area_is_refused(paris, police_officer, as_user):
    car = create_unit(centre=paris, callsign="PS-32", members=[police_officer])
    response = send_fix(as_user(police_officer), car, LYON_BELLECOUR)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "implausible_position"
    assert response.json()["error"]["fields"]["location"] == ["far outside the centre's area"]
    assert not UnitPosition.objects.filter(unit=car).exists()
    assert Unit.objects.get(pk=car.pk).last_location is None


def test_a_fix_just_over_the_border_is_kept(paris, police_officer, as_user):
    car = create_unit(centre=paris, callsign="PS-31", members=[police_officer])
    response = send_fix(as_user(police_officer), car, SAINT_DENIS_BASILICA)  # a chase goes on
    assert response.status_code == 204, response.content
    assert Unit.objects.get(pk=car.pk).last_location.equals_exact(SAINT_DENIS_BASILICA, 1e-9)


def test_a_fix_from_the_future_is_malformed(police_officer, unit, as_user):
    later = timezone.now() + timedelta(minutes=5)
    response = send_fix(as_user(police_officer), unit, PARIS_HOTEL_DE_VILLE, at=later)
    assert response.status_code == 400, response.content
    assert "recorded_at" in response.json()["error"]["fields"]
    assert_unit_did_not_move(unit)


def test_a_fix_older_than_an_hour_is_refused(police_officer, unit, as_user):
    old = timezone.now() - timedelta(minutes=61)
    response = send_fix(as_user(police_officer), unit, PARIS_HOTEL_DE_VILLE, at=old)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "stale_position"
    assert_unit_did_not_move(unit)


def test_a_fix_known_to_worse_than_the_limit_is_refused(settings, police_officer, unit, as_user):
    officer = as_user(police_officer)
    where = moved(PARIS_HOTEL_DE_VILLE, 320, 45)
    limit = settings.VIGIE_MAX_ACCURACY_M

    refused = send_fix(officer, unit, where, after=30, accuracy_m=limit + 1)
    assert refused.status_code == 422, refused.content
    assert refused.json()["error"]["code"] == "accuracy_too_poor"
    assert_unit_did_not_move(unit)

    kept = send_fix(officer, unit, where, after=30, accuracy_m=limit)
    assert kept.status_code == 204, kept.content


@pytest.mark.parametrize(
    "body",
    [
        {"location": {"type": "Point", "coordinates": [200, 100]}},
        {"location": "here"},
        {"accuracy_m": -1},
        {"recorded_at": "yesterday"},
        {"recorded_at": None},
    ],
    ids=["off-the-globe", "not-geojson", "negative-accuracy", "bad-time", "no-time"],
)
def test_malformed_fixes_are_400(body, police_officer, unit, as_user):
    fix = {
        "location": point_json(moved(PARIS_HOTEL_DE_VILLE, 320, 45)),
        "recorded_at": timezone.now().isoformat(),
        "accuracy_m": 5,
        **body,
    }
    response = as_user(police_officer).post(
        f"/api/v1/units/{unit.pk}/position/", fix, format="json"
    )
    assert response.status_code == 400, response.content
    assert_unit_did_not_move(unit)


def test_a_late_fix_joins_the_history_but_does_not_move_the_unit(police_officer, unit, as_user):
    # Sent after a tunnel: taken a minute before the fix the unit already has.
    earlier = unit.last_recorded_at - timedelta(minutes=1)
    where = moved(PARIS_HOTEL_DE_VILLE, 200, 180)

    response = send_fix(as_user(police_officer), unit, where, at=earlier)

    assert response.status_code == 204, response.content
    history = list(UnitPosition.objects.filter(unit=unit).values_list("recorded_at", flat=True))
    assert history == [unit.last_recorded_at, earlier]  # newest first
    stored = Unit.objects.get(pk=unit.pk)
    assert stored.last_location.equals_exact(unit.last_location, 1e-9)
    assert stored.last_recorded_at == unit.last_recorded_at


def test_a_late_fix_far_outside_the_area_is_refused_too(police_officer, unit, as_user):
    earlier = unit.last_recorded_at - timedelta(minutes=1)
    response = send_fix(as_user(police_officer), unit, LYON_BELLECOUR, at=earlier)
    assert response.status_code == 422, response.content
    assert UnitPosition.objects.filter(unit=unit).count() == 1


# --- telling the console ---------------------------------------------------------------------


def fix(unit, officer, where, seconds_later: int = 30):
    unit.refresh_from_db()
    at = (unit.last_recorded_at or timezone.now()) + timedelta(seconds=seconds_later)
    record_position(unit, location=where, recorded_at=at, accuracy_m=5, by=officer)
    unit.refresh_from_db()
    return unit


def test_moved_units_are_published_once_in_one_event_per_centre(
    paris, saint_denis, police_officer, unit
):
    partner = UserFactory(username="partner", role=Role.POLICE, centre=paris)
    second = fix(
        create_unit(centre=paris, callsign="PS-22", members=[partner]),
        partner,
        moved(PARIS_HOTEL_DE_VILLE, 900, 200),
    )
    create_unit(centre=paris, callsign="PS-23", members=[partner])  # never sent a fix
    sd_officer = UserFactory(username="police-sd", role=Role.POLICE, centre=saint_denis)
    sd_unit = fix(
        create_unit(centre=saint_denis, callsign="SD-1", members=[sd_officer]),
        sd_officer,
        SAINT_DENIS_BASILICA,
    )
    paris_seq, sd_seq = last_seq(paris), last_seq(saint_denis)

    assert publish_unit_positions() == 3

    (paris_event,) = new_events(paris, paris_seq)
    (sd_event,) = new_events(saint_denis, sd_seq)
    assert paris_event.type == sd_event.type == "unit.position"
    units = {u["id"]: u for u in paris_event.data["units"]}
    assert sorted(units) == sorted([unit.pk, second.pk])
    assert units[second.pk]["location"] == point_json(second.last_location)
    assert units[second.pk]["callsign"] == "PS-22"
    assert [u["id"] for u in sd_event.data["units"]] == [sd_unit.pk]

    # Nobody moved since: a second run publishes nothing at all.
    assert publish_unit_positions() == 0
    assert new_events(paris, paris_seq) == [paris_event]
    assert new_events(saint_denis, sd_seq) == [sd_event]

    # One unit moves: the next event carries it alone, and only to its centre.
    fix(unit, police_officer, moved(PARIS_HOTEL_DE_VILLE, 350, 45))
    assert publish_unit_positions() == 1
    _, latest = new_events(paris, paris_seq)
    assert [u["id"] for u in latest.data["units"]] == [unit.pk]
    assert latest.data["units"][0]["location"] == point_json(moved(PARIS_HOTEL_DE_VILLE, 350, 45))
    assert new_events(saint_denis, sd_seq) == [sd_event]


def test_many_fixes_between_two_runs_make_one_event(paris, police_officer, unit):
    publish_unit_positions()
    seq = last_seq(paris)
    for step in range(1, 6):
        fix(unit, police_officer, moved(PARIS_HOTEL_DE_VILLE, 300 + 20 * step, 45), 5)

    assert publish_unit_positions() == 1

    (event,) = new_events(paris, seq)
    assert [u["id"] for u in event.data["units"]] == [unit.pk]
    assert event.data["units"][0]["location"] == point_json(moved(PARIS_HOTEL_DE_VILLE, 400, 45))


def test_nothing_is_published_when_nobody_moved(paris, police_officer):
    create_unit(centre=paris, callsign="PS-40", members=[police_officer])  # no fix yet
    seq = last_seq(paris)
    assert tasks.publish_unit_positions.apply().get() == 0
    assert last_seq(paris) == seq


@pytest.mark.django_db(transaction=True)
def test_a_fix_that_waited_for_a_publish_run_is_published_by_the_next(paris, police_officer, unit):
    where = moved(PARIS_HOTEL_DE_VILLE, 330, 45)
    errors: list[BaseException] = []

    def officer_sends_a_fix():
        try:
            record_position(
                unit,
                location=where,
                recorded_at=unit.last_recorded_at + timedelta(seconds=5),
                accuracy_m=5,
                by=police_officer,
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    sender = threading.Thread(target=officer_sends_a_fix)
    with transaction.atomic():
        # A publish run is under way and holds the unit's row...
        Unit.objects.select_for_update().get(pk=unit.pk)
        sender.start()
        wait_until_someone_waits_for_a_lock()
        # ... when the fix arrives and waits for the row; the run publishes what it holds.
        assert publish_unit_positions() == 1
    sender.join(timeout=10)
    assert not errors, errors
    assert Unit.objects.get(pk=unit.pk).last_location.equals_exact(where, 1e-9)
    seq = last_seq(paris)

    assert publish_unit_positions() == 1  # the fix that waited is news for the console

    (event,) = new_events(paris, seq)
    assert event.data["units"][0]["location"] == point_json(where)


def wait_until_someone_waits_for_a_lock(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("nobody came to wait for the row")
