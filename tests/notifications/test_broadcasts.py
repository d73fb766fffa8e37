"""Area broadcasts: a supervisor's message reaches the approved residents living in the area.

Targeting is PostGIS's: polygons, multipolygons and circles drawn on geography; the row keeps
who sent what to how many; residents read the current ones covering their home.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import change_vetting_status
from common.geojson import parse_area
from notifications.models import Broadcast, Notification, PushDevice, PushMessage
from notifications.services import broadcast_to_area, register_push_device
from tests.factories import (
    LYON_BELLECOUR,
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    moved,
    point_json,
)

pytestmark = pytest.mark.django_db

BROADCASTS = "/api/v1/broadcasts/"
HOME = PARIS_HOTEL_DE_VILLE
# Either side of the Paris / Saint-Denis boundary, 700 m apart on the same meridian.
PARIS_NORTH = Point(2.36, 48.898, srid=4326)
SAINT_DENIS_SOUTH = Point(2.36, 48.905, srid=4326)


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # Every fixture hashes a password; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def living_at(username: str, where: Point, centre, role: str = Role.RESIDENT) -> User:
    """An approved member whose registered address is `where`."""
    return UserFactory(username=username, role=role, centre=centre, address_location=where)


def square(centre: Point, half_side_m: float) -> dict:
    """A GeoJSON Polygon: the square of side 2 × `half_side_m` around `centre`."""
    north, south = moved(centre, half_side_m, 0).y, moved(centre, half_side_m, 180).y
    east, west = moved(centre, half_side_m, 90).x, moved(centre, half_side_m, 270).x
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def message(**fields) -> dict:
    return {
        "title": "Fuite de gaz rue de Rivoli",
        "body": "Restez chez vous, fenêtres fermées, jusqu'à nouvel ordre.",
        "severity": "Severe",
        **fields,
    }


def told() -> set[str]:
    return set(Notification.objects.values_list("recipient__username", flat=True))


def expire(broadcast: Broadcast) -> None:
    """Time travel: the broadcast was sent two days ago and expired yesterday."""
    now = timezone.now()
    Broadcast.objects.filter(pk=broadcast.pk).update(
        created_at=now - timedelta(days=2), expires_at=now - timedelta(days=1)
    )


def sent_by_service(author, area: dict, title: str, severity: str = "Moderate") -> Broadcast:
    """A broadcast made through the service, as the API makes it."""
    return broadcast_to_area(
        centre=author.centres.get(),
        author=author,
        title=title,
        body="Texte.",
        severity=severity,
        area=parse_area(area),
        expires_at=timezone.now() + timedelta(hours=6),
    )


# --- targeting ----------------------------------------------------------------------------


def test_approved_residents_inside_the_polygon_are_told_and_the_row_records_it(
    paris, supervisor, operator, business, pending_resident, as_user
):
    inside = living_at("inside", HOME, paris)
    neighbour = living_at("neighbour-in", moved(HOME, 150, 30), paris)
    living_at("far", moved(HOME, 400, 90), paris)
    for name, to in [("suspended", "suspended"), ("revoked", "revoked")]:
        change_vetting_status(living_at(name, HOME, paris), to=to, by=None, reason="test")
    living_at("shop", HOME, paris, role=Role.BUSINESS)
    # Staff have no registered address; give one anyway, to show their role keeps them out.
    User.objects.filter(pk__in=[operator.pk, supervisor.pk]).update(address_location=HOME)
    register_push_device(inside, token="inside-phone", platform="android")
    register_push_device(inside, token="inside-old-tablet", platform="ios")
    PushDevice.objects.filter(token="inside-old-tablet").update(active=False)  # FCM dropped it
    register_push_device(neighbour, token="neighbour-phone", platform="android")
    register_push_device(pending_resident, token="pending-phone", platform="android")
    area = square(HOME, 200)

    response = as_user(supervisor).post(
        BROADCASTS, message(area=area, area_description="Autour de l'Hôtel de Ville"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["recipients"] == 2
    assert told() == {"inside", "neighbour-in"}
    # The audit: who sent what, where, to how many.
    broadcast = Broadcast.objects.get(pk=response.json()["id"])
    assert (broadcast.author, broadcast.centre) == (supervisor, paris)
    assert broadcast.title == "Fuite de gaz rue de Rivoli"
    assert broadcast.body.startswith("Restez chez vous")
    assert broadcast.severity == "Severe"
    assert broadcast.area_description == "Autour de l'Hôtel de Ville"
    assert broadcast.area.equals(GEOSGeometry(json.dumps(area), srid=4326))
    assert broadcast.recipients == 2
    assert response.json()["area"]["type"] == "MultiPolygon"
    for notification in Notification.objects.all():
        assert notification.kind == "broadcast"
        assert notification.broadcast == broadcast
        assert (notification.title, notification.body) == (broadcast.title, broadcast.body)
        assert notification.data == {
            "type": "broadcast",
            "broadcast": str(broadcast.pk),
            "severity": "Severe",
        }
    pushes = PushMessage.objects.all()
    assert sorted(p.device.token for p in pushes) == ["inside-phone", "neighbour-phone"]
    assert {p.status for p in pushes} == {"pending"}  # the worker sends them


def test_every_part_of_a_multipolygon_counts(paris, supervisor, as_user):
    east = moved(HOME, 2000, 90)
    living_at("at-home", HOME, paris)
    living_at("east", east, paris)
    living_at("between", moved(HOME, 1000, 90), paris)
    parts = [square(HOME, 100)["coordinates"], square(east, 100)["coordinates"]]

    response = as_user(supervisor).post(
        BROADCASTS, message(area={"type": "MultiPolygon", "coordinates": parts}), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["recipients"] == 2
    assert told() == {"at-home", "east"}


def test_a_circle_is_drawn_on_the_ground_in_metres(paris, supervisor, as_user):
    for bearing in (0, 135, 250):
        living_at(f"in-{bearing}", moved(HOME, 90, bearing), paris)
        living_at(f"out-{bearing}", moved(HOME, 110, bearing), paris)

    response = as_user(supervisor).post(
        BROADCASTS, message(circle={"center": point_json(HOME), "radius_m": 100}), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["recipients"] == 3
    assert told() == {"in-0", "in-135", "in-250"}
    area = Broadcast.objects.get().area
    assert isinstance(area, MultiPolygon)
    assert area.covers(HOME)


def test_residents_of_a_neighbouring_centre_are_not_told(paris, saint_denis, supervisor, as_user):
    living_at("parisian", PARIS_NORTH, paris)
    living_at("dionysien", SAINT_DENIS_SOUTH, saint_denis)
    across = square(Point(2.36, 48.9015, srid=4326), 600)

    response = as_user(supervisor).post(BROADCASTS, message(area=across), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["recipients"] == 1
    assert told() == {"parisian"}


def test_an_area_with_nobody_inside_is_still_recorded(paris, supervisor, as_user):
    response = as_user(supervisor).post(BROADCASTS, message(area=square(HOME, 50)), format="json")

    assert response.status_code == 201
    assert response.json()["recipients"] == 0
    assert Broadcast.objects.get().recipients == 0
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("severity", "high"),
    [("Extreme", True), ("Severe", True), ("Moderate", False), ("Minor", False)],
)
def test_extreme_and_severe_broadcasts_are_high_priority(
    paris, supervisor, as_user, severity, high
):
    living_at("inside", HOME, paris)

    as_user(supervisor).post(
        BROADCASTS, message(area=square(HOME, 100), severity=severity), format="json"
    )

    notification = Notification.objects.get()
    assert notification.high_priority is high
    assert notification.data["severity"] == severity


def test_without_an_expiry_the_broadcast_lasts_the_configured_hours(
    paris, supervisor, as_user, settings
):
    settings.VIGIE_BROADCAST_HOURS = 6
    before = timezone.now()

    as_user(supervisor).post(BROADCASTS, message(area=square(HOME, 100)), format="json")

    lasts = Broadcast.objects.get().expires_at - before
    assert timedelta(hours=6) <= lasts < timedelta(hours=6, minutes=1)


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        pytest.param({"area": square(LYON_BELLECOUR, 500)}, id="another-city"),
        pytest.param({"area": square(SAINT_DENIS_BASILICA, 300)}, id="the-neighbour"),
        pytest.param(
            {"circle": {"center": point_json(LYON_BELLECOUR), "radius_m": 1000}},
            id="circle-in-another-city",
        ),
    ],
)
def test_an_area_that_does_not_touch_the_jurisdiction_is_refused(
    paris, saint_denis, supervisor, as_user, where
):
    response = as_user(supervisor).post(BROADCASTS, message(**where), format="json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "outside_jurisdiction"
    assert not Broadcast.objects.exists()


HOME_CIRCLE = {"center": point_json(HOME), "radius_m": 100}
HOME_AREA = square(HOME, 100)
OPEN_RING = {"type": "Polygon", "coordinates": [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86]]]}


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"area": "not geojson"}, id="area-text"),
        pytest.param({"area": point_json(HOME)}, id="area-point"),
        pytest.param({"area": {"type": "Polygon", "coordinates": []}}, id="area-empty"),
        pytest.param({"area": OPEN_RING}, id="area-open-ring"),
        pytest.param({"area": {**square(HOME, 100), "crs": {"type": "name"}}}, id="area-with-crs"),
        pytest.param({"area": square(HOME, 100), "circle": HOME_CIRCLE}, id="area-and-circle"),
        pytest.param({}, id="neither"),
        pytest.param({"circle": {"center": point_json(HOME)}}, id="circle-without-radius"),
        pytest.param({"circle": {"center": point_json(HOME), "radius_m": 2}}, id="circle-tiny"),
        pytest.param(
            {"circle": {"center": point_json(HOME), "radius_m": 50_000}}, id="circle-huge"
        ),
        pytest.param(
            {"circle": {"center": [2.35, 48.85], "radius_m": 100}}, id="circle-bad-centre"
        ),
        pytest.param({"area": HOME_AREA, "severity": "Apocalyptic"}, id="bad-severity"),
        pytest.param({"area": HOME_AREA, "title": "   "}, id="blank-title"),
        pytest.param({"area": HOME_AREA, "body": ""}, id="empty-body"),
        pytest.param({"area": HOME_AREA, "expires_at": "2001-01-01T00:00:00Z"}, id="expiry-past"),
        pytest.param({"area": HOME_AREA, "expires_at": "tomorrow"}, id="expiry-garbled"),
    ],
)
def test_bad_input_is_a_400_and_nothing_is_sent(paris, supervisor, as_user, fields):
    living_at("inside", HOME, paris)

    response = as_user(supervisor).post(BROADCASTS, message(**fields), format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]
    assert not Broadcast.objects.exists()
    assert not Notification.objects.exists()


def test_a_self_intersecting_polygon_is_a_400(paris, supervisor, as_user):
    west, east, south, north = 2.350, 2.354, 48.855, 48.858
    bowtie = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    client = as_user(supervisor)
    client.raise_request_exception = False

    response = client.post(
        BROADCASTS, message(area={"type": "Polygon", "coordinates": [bowtie]}), format="json"
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("operator", 403),
        ("resident", 403),
        ("business", 403),
        ("police_officer", 403),
        ("vetting_officer", 403),
        (None, 401),
    ],
)
def test_only_supervisors_may_broadcast(request, paris, api, as_user, who, status):
    client = as_user(request.getfixturevalue(who)) if who else api

    response = client.post(BROADCASTS, message(area=HOME_AREA), format="json")

    assert response.status_code == status
    assert not Broadcast.objects.exists()


def test_a_supervisor_broadcasts_only_for_a_centre_they_serve_and_says_which(
    paris, saint_denis, supervisor, as_user
):
    living_at("dionysien", SAINT_DENIS_BASILICA, saint_denis)
    there = square(SAINT_DENIS_BASILICA, 200)

    not_theirs = as_user(supervisor).post(
        BROADCASTS, message(area=there, centre=saint_denis.pk), format="json"
    )
    # The same account, made a supervisor of Saint-Denis as well.
    supervisor = UserFactory(username="supervisor", role=Role.SUPERVISOR, centre=saint_denis)
    client = as_user(supervisor)
    unsaid = client.post(BROADCASTS, message(area=there), format="json")
    said = client.post(BROADCASTS, message(area=there, centre=saint_denis.pk), format="json")

    assert not_theirs.status_code == 404
    assert unsaid.status_code == 400
    assert "centre" in unsaid.json()["error"]["fields"]
    assert said.status_code == 201, said.content
    assert said.json()["centre"] == saint_denis.pk
    assert said.json()["recipients"] == 1
    assert Broadcast.objects.count() == 1


def test_a_retry_with_the_same_idempotency_key_sends_once(paris, supervisor, as_user):
    living_at("inside", HOME, paris)
    register_push_device(User.objects.get(username="inside"), token="phone", platform="android")
    client = as_user(supervisor)
    body = message(area=HOME_AREA)

    first = client.post(BROADCASTS, body, format="json", headers={"Idempotency-Key": "bc-1"})
    again = client.post(BROADCASTS, body, format="json", headers={"Idempotency-Key": "bc-1"})
    changed = client.post(
        BROADCASTS,
        {**body, "title": "Autre chose"},
        format="json",
        headers={"Idempotency-Key": "bc-1"},
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_key_reused"
    assert Broadcast.objects.count() == 1
    assert Notification.objects.count() == 1
    assert PushMessage.objects.count() == 1


# --- the admin keeps the record -----------------------------------------------------------


def test_the_admin_shows_broadcasts_but_cannot_change_or_delete_them(
    paris, supervisor, admin_user, client
):
    broadcast = sent_by_service(supervisor, square(HOME, 100), title="Fuite de gaz")
    client.force_login(admin_user)
    base = f"/admin/notifications/broadcast/{broadcast.pk}"

    listing = client.get("/admin/notifications/broadcast/")
    delete_page = client.get(f"{base}/delete/")
    delete_post = client.post(f"{base}/delete/", {"post": "yes"})
    change_post = client.post(f"{base}/change/", {"title": "Rien à signaler"})

    assert listing.status_code == 200
    assert "Fuite de gaz" in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    assert delete_page.status_code == delete_post.status_code == change_post.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.title == "Fuite de gaz"


# --- reading ------------------------------------------------------------------------------


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()]


def test_residents_read_the_current_broadcasts_covering_their_home_only(
    paris, saint_denis, supervisor, operator, outsider_operator, as_user, api
):
    me = living_at("me", HOME, paris)
    far = living_at("far", moved(HOME, 3000, 270), paris)
    dionysien = living_at("dionysien", SAINT_DENIS_BASILICA, saint_denis)
    sd_supervisor = UserFactory(username="sd-super", role=Role.SUPERVISOR, centre=saint_denis)
    sent_by_service(supervisor, square(HOME, 300), title="Here", severity="Severe")
    expire(sent_by_service(supervisor, square(HOME, 300), title="Here, yesterday"))
    sent_by_service(supervisor, square(moved(HOME, 3000, 270), 300), title="Elsewhere")
    sent_by_service(sd_supervisor, square(SAINT_DENIS_BASILICA, 300), title="Saint-Denis")

    mine = as_user(me).get(BROADCASTS)

    assert titles(mine) == ["Here"]
    item = mine.json()[0]
    assert item["severity"] == "Severe"
    assert item["centre"] == paris.pk
    assert item["area"]["type"] == "MultiPolygon"
    assert {"body", "expires_at", "created_at", "area_description"} <= item.keys()
    assert titles(as_user(far).get(BROADCASTS)) == ["Elsewhere"]
    assert titles(as_user(dionysien).get(BROADCASTS)) == ["Saint-Denis"]
    # Staff read their centres' current broadcasts, wherever they are.
    assert sorted(titles(as_user(operator).get(BROADCASTS))) == ["Elsewhere", "Here"]
    assert titles(as_user(outsider_operator).get(BROADCASTS)) == ["Saint-Denis"]
    assert api.get(BROADCASTS).status_code == 401


def test_a_business_does_not_read_broadcasts_meant_for_elsewhere(
    paris, supervisor, business, as_user
):
    sent_by_service(supervisor, square(moved(HOME, 3000, 270), 300), title="Elsewhere")
    shop = living_at("bakery", HOME, paris, role=Role.BUSINESS)

    assert titles(as_user(shop).get(BROADCASTS)) == []


def test_a_pending_resident_does_not_read_broadcasts(paris, supervisor, pending_resident, as_user):
    sent_by_service(supervisor, square(HOME, 300), title="Here")  # the applicant's address

    response = as_user(pending_resident).get(BROADCASTS)

    assert response.status_code == 403 or response.json() == []
