"""Which units the console suggests for a report: available ones of its centre with a recent
fix, nearest first, answered by PostGIS."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from dispatch.services import create_unit, dispatch_unit, record_position, set_unit_status
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    file_report,
    moved,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextlib.contextmanager
def clock_at(moment):
    """The server's clock stands at `moment`: the one outside thing these tests fake."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def unit_at(centre, callsign: str, metres: float, bearing: float = 90, *, taken_ago=None):
    """A unit of `centre` whose newest fix, `metres` from the Hôtel de Ville, reached us
    `taken_ago` (a timedelta) ago; None: no fix at all."""
    officer = UserFactory(username=f"officer-{callsign}", role=Role.POLICE, centre=centre)
    unit = create_unit(centre=centre, callsign=callsign, members=[officer])
    if metres is not None:
        at = timezone.now() - (taken_ago or timedelta(0))
        with clock_at(at):
            record_position(
                unit,
                location=moved(PARIS_HOTEL_DE_VILLE, metres, bearing),
                recorded_at=at,
                accuracy_m=5,
                by=officer,
            )
    unit.refresh_from_db()
    return unit


def suggestions(client, report):
    response = client.get(f"/api/v1/reports/{report.pk}/suggested-units/")
    assert response.status_code == 200, response.content
    return response.json()


def test_available_units_are_suggested_nearest_first_with_distance_and_age(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident, where=PARIS_HOTEL_DE_VILLE)
    far = unit_at(paris, "PS-F", 1200, 200)
    near = unit_at(paris, "PS-N", 150, 10)
    middle = unit_at(paris, "PS-M", 600, 300, taken_ago=timedelta(minutes=2))

    got = suggestions(as_user(operator), report)

    assert [u["id"] for u in got] == [near.pk, unit.pk, middle.pk, far.pk]
    for suggestion, metres in zip(got, [150, 300, 600, 1200], strict=True):
        assert suggestion["distance_m"] == pytest.approx(metres, rel=0.01)
        assert suggestion["status"] == "available"
        assert suggestion["location"]["type"] == "Point"
    ages = {u["id"]: u["fix_age_s"] for u in got}
    assert ages[middle.pk] == pytest.approx(120, abs=5)
    assert ages[near.pk] == pytest.approx(0, abs=5)


def test_only_available_units_of_the_centre_with_a_fresh_fix_are_suggested(
    settings, paris, saint_denis, resident, operator, unit, as_user
):
    report = file_report(resident, where=PARIS_HOTEL_DE_VILLE)
    busy = unit_at(paris, "PS-BUSY", 50)
    dispatch_unit(file_report(resident, category="theft"), unit=busy, operator=operator)
    off_duty = unit_at(paris, "PS-OFF", 60)
    set_unit_status(off_duty, status="off_duty")
    unit_at(paris, "PS-NOFIX", None)
    max_age = timedelta(seconds=settings.VIGIE_UNIT_FIX_MAX_AGE_S)
    unit_at(paris, "PS-STALE", 70, taken_ago=max_age + timedelta(seconds=30))
    unit_at(saint_denis, "SD-1", 80)  # Saint-Denis's, a few steps from a Paris report
    just_fresh = unit_at(paris, "PS-OLDISH", 90, taken_ago=max_age - timedelta(seconds=30))

    got = suggestions(as_user(operator), report)

    assert [u["callsign"] for u in got] == ["PS-OLDISH", "PS-21"]
    assert got[0]["id"] == just_fresh.pk


def test_a_unit_held_by_a_proposal_is_not_suggested(paris, resident, operator, unit, as_user):
    dispatch_unit(
        file_report(resident, category="theft"), unit=unit, operator=operator, propose=True
    )
    report = file_report(resident)
    console = as_user(operator)
    sent = console.post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert (sent.status_code, sent.json()["error"]["code"]) == (409, "unit_busy")
    assert suggestions(console, report) == []


def test_a_fix_taken_long_ago_does_not_count_as_fresh_because_it_arrived_late(
    paris, resident, operator, police_officer, as_user
):
    car = create_unit(centre=paris, callsign="PS-TUNNEL", members=[police_officer])
    record_position(
        car,
        location=moved(PARIS_HOTEL_DE_VILLE, 100, 0),
        recorded_at=timezone.now() - timedelta(minutes=20),
        accuracy_m=5,
        by=police_officer,
    )
    report = file_report(resident)
    assert suggestions(as_user(operator), report) == []


def test_nearest_is_answered_by_postgis_knn_in_a_fixed_number_of_queries(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    console = as_user(operator)
    suggestions(console, report)  # session, permissions: warmed up
    with CaptureQueriesContext(connection) as one:
        assert len(suggestions(console, report)) == 1
    for n in range(4):
        unit_at(paris, f"PS-K{n}", 200 + 100 * n)
    with CaptureQueriesContext(connection) as five:
        assert len(suggestions(console, report)) == 5
    assert len(five) == len(one)
    (query,) = [q["sql"] for q in five.captured_queries if "dispatch_unit" in q["sql"]]
    assert "<->" in query


@pytest.mark.parametrize(
    ("who", "status"),
    [("police_officer", 403), ("resident", 403), ("outsider_operator", 404), (None, 401)],
)
def test_only_the_centres_operators_get_suggestions(
    who, status, request, resident, unit, api, as_user
):
    report = file_report(resident)
    client = api if who is None else as_user(request.getfixturevalue(who))
    response = client.get(f"/api/v1/reports/{report.pk}/suggested-units/")
    assert response.status_code == status, response.content


def test_a_report_of_another_centre_gets_its_own_units(
    saint_denis, resident, outsider_operator, unit, as_user
):
    report = file_report(resident, where=SAINT_DENIS_BASILICA)
    theirs = unit_at(saint_denis, "SD-2", 8000, 5)  # near the basilica
    got = suggestions(as_user(outsider_operator), report)
    assert [u["id"] for u in got] == [theirs.pk]
