"""Police units: who creates them, who may crew them, who sees them, on and off duty."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max

from accounts.models import Role
from dispatch.models import Unit
from dispatch.services import create_unit, dispatch_unit
from live.models import Event
from tests.factories import UserFactory, file_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def last_seq(centre) -> int:
    return Event.objects.filter(centre=centre).aggregate(seq=Max("seq"))["seq"] or 0


def new_events(centre, seq: int) -> list[tuple[str, dict]]:
    return [
        (e.type, e.data) for e in Event.objects.filter(centre=centre, seq__gt=seq).order_by("seq")
    ]


def create(client, **body):
    return client.post("/api/v1/units/", body, format="json")


# --- creating -------------------------------------------------------------------------------


def test_a_supervisor_creates_a_unit_crewed_by_the_centres_police(
    paris, supervisor, police_officer, as_user
):
    partner = UserFactory(username="partner", role=Role.POLICE, centre=paris)
    before = last_seq(paris)

    response = create(
        as_user(supervisor), callsign=" PS-50 ", kind="motorbike", members=["police", "partner"]
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("callsign", "kind", "centre", "status", "location")} == {
        "callsign": "PS-50",
        "kind": "motorbike",
        "centre": paris.pk,
        "status": "available",
        "location": None,
    }
    unit = Unit.objects.get(pk=body["id"])
    assert (unit.centre, unit.callsign, unit.status) == (paris, "PS-50", "available")
    assert set(unit.members.all()) == {police_officer, partner}
    assert new_events(paris, before) == [("unit.updated", body)]


@pytest.mark.parametrize("who", ["operator", "police_officer", "resident"])
def test_only_supervisors_create_units(who, request, police_officer, as_user):
    user = request.getfixturevalue(who)
    response = create(as_user(user), callsign="PS-50", members=["police"])
    assert response.status_code == 403, response.content
    assert not Unit.objects.exists()


def test_members_must_be_police_officers_of_the_centre(
    paris, saint_denis, supervisor, operator, police_officer, as_user
):
    UserFactory(username="police-sd", role=Role.POLICE, centre=saint_denis)
    client = as_user(supervisor)

    for names, strangers in [
        (["police", "operator"], ["operator"]),
        (["police-sd"], ["police-sd"]),
    ]:
        response = create(client, callsign="PS-50", members=names)
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert (error["code"], error["fields"]["members"]) == ("not_police_of_centre", strangers)

    unknown = create(client, callsign="PS-50", members=["police", "nobody"])
    assert unknown.status_code == 400, unknown.content
    assert "members" in unknown.json()["error"]["fields"]
    assert not Unit.objects.exists()


def test_a_callsign_is_taken_once_per_centre_whatever_its_case(
    paris, saint_denis, supervisor, police_officer, unit, as_user
):
    response = create(as_user(supervisor), callsign="ps-21", members=["police"])
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "duplicate_callsign"
    assert Unit.objects.count() == 1
    # Another centre may use the same callsign.
    sd = create_unit(centre=saint_denis, callsign="PS-21", members=[])
    assert sd.callsign == "PS-21"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callsign": ""}, "callsign"),
        ({"callsign": "X" * 41}, "callsign"),
        ({"callsign": "PS-50", "kind": "tank"}, "kind"),
    ],
)
def test_a_malformed_unit_is_400(body, field, supervisor, as_user):
    response = create(as_user(supervisor), **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Unit.objects.exists()


def test_a_retried_creation_creates_one_unit(paris, supervisor, police_officer, as_user):
    client = as_user(supervisor)
    key = {"HTTP_IDEMPOTENCY_KEY": "unit-ps50-1"}
    first = client.post("/api/v1/units/", {"callsign": "PS-50"}, format="json", **key)
    again = client.post("/api/v1/units/", {"callsign": "PS-50"}, format="json", **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Unit.objects.count() == 1


def test_the_create_unit_command_is_idempotent(paris, police_officer):
    out = StringIO()
    call_command("create_unit", "PS-60", "--centre", paris.slug, "--members", "police", stdout=out)
    created = json.loads(out.getvalue().splitlines()[-1])
    assert created["created"] is True
    unit = Unit.objects.get(pk=created["id"])
    assert list(unit.members.all()) == [police_officer]

    out = StringIO()
    call_command("create_unit", "PS-60", "--centre", paris.slug, stdout=out)
    assert json.loads(out.getvalue().splitlines()[-1]) == {
        "id": unit.pk,
        "callsign": "PS-60",
        "created": False,
    }
    with pytest.raises(CommandError):
        call_command("create_unit", "PS-61", "--centre", paris.slug, "--members", "ghost")
    assert Unit.objects.count() == 1


# --- listing -------------------------------------------------------------------------------


def test_who_sees_which_units(
    paris, saint_denis, operator, outsider_operator, police_officer, unit, api, as_user
):
    colleague = UserFactory(username="colleague", role=Role.POLICE, centre=paris)
    other = create_unit(centre=paris, callsign="PS-10", members=[colleague])
    sd_unit = create_unit(centre=saint_denis, callsign="SD-1", members=[])

    def listed(user):
        response = as_user(user).get("/api/v1/units/")
        assert response.status_code == 200, response.content
        return response.json()

    by_operator = listed(operator)
    assert [u["id"] for u in by_operator] == [other.pk, unit.pk]  # by callsign
    assert by_operator[1]["status"] == "available"
    assert by_operator[1]["location"]["coordinates"] == [unit.last_location.x, unit.last_location.y]
    assert by_operator[1]["accuracy_m"] == 8
    assert [u["id"] for u in listed(outsider_operator)] == [sd_unit.pk]
    assert [u["id"] for u in listed(police_officer)] == [unit.pk]
    assert [u["id"] for u in listed(colleague)] == [other.pk]


def test_residents_and_strangers_do_not_list_units(resident, unit, api, as_user):
    assert as_user(resident).get("/api/v1/units/").status_code == 403
    assert api.get("/api/v1/units/").status_code == 401


# --- on and off duty ------------------------------------------------------------------------


def test_a_crew_goes_off_duty_and_back(paris, police_officer, unit, as_user):
    police = as_user(police_officer)
    before = last_seq(paris)

    off = police.post(f"/api/v1/units/{unit.pk}/status/", {"status": "off_duty"}, format="json")
    assert off.status_code == 200, off.content
    assert Unit.objects.get(pk=unit.pk).status == "off_duty"
    on = police.post(f"/api/v1/units/{unit.pk}/status/", {"status": "available"}, format="json")
    assert on.status_code == 200, on.content
    assert Unit.objects.get(pk=unit.pk).status == "available"
    assert [(t, d["status"]) for t, d in new_events(paris, before)] == [
        ("unit.updated", "off_duty"),
        ("unit.updated", "available"),
    ]


def test_a_unit_on_an_intervention_cannot_go_off_duty(
    paris, resident, operator, police_officer, unit, as_user
):
    dispatch_unit(file_report(resident), unit=unit, operator=operator)
    response = as_user(police_officer).post(
        f"/api/v1/units/{unit.pk}/status/", {"status": "off_duty"}, format="json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "unit_busy"
    assert Unit.objects.get(pk=unit.pk).status == "busy"


def test_another_crew_cannot_take_a_unit_off_duty(paris, unit, outsider_operator, as_user):
    colleague = UserFactory(username="colleague", role=Role.POLICE, centre=paris)
    for user in (colleague, outsider_operator):
        response = as_user(user).post(
            f"/api/v1/units/{unit.pk}/status/", {"status": "off_duty"}, format="json"
        )
        assert response.status_code == 404, response.content
    assert Unit.objects.get(pk=unit.pk).status == "available"
