"""The CAP 1.2 feed: every document validates against the OASIS schema, broadcasts are public,
critical reports reach only their centre's staff, rounded and without their description."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from notifications.cap import cap_time
from notifications.models import Broadcast
from notifications.services import broadcast_to_area
from reporting.models import Report
from reporting.services.triage import close_report
from tests.factories import PARIS_HOTEL_DE_VILLE, SAINT_DENIS_BASILICA, file_report, moved

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cap"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
NS = {"cap": CAP[1:-1], "atom": ATOM[1:-1]}
# What the server sends is parsed as any untrusted XML should be: no DTD, no entities, no
# network (google_caplib_xee.cap.xml tries all three).
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "CAP-v1.2.xsd"), PARSER))
CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")

# Around the Hôtel de Ville, and a second part across the Seine (longitude, latitude).
RIVOLI = Polygon(
    ((2.3500, 48.8555), (2.3560, 48.8555), (2.3560, 48.8580), (2.3500, 48.8580), (2.3500, 48.8555)),
    srid=4326,
)
ILE_SAINT_LOUIS = Polygon(
    ((2.3540, 48.8500), (2.3620, 48.8500), (2.3620, 48.8530), (2.3540, 48.8500)), srid=4326
)


def valid_cap(body: bytes) -> etree._Element:
    document = etree.fromstring(body, PARSER)
    SCHEMA.assertValid(document)  # raises with the schema's reason
    return document


def announce(supervisor, centre, area=RIVOLI, **fields) -> Broadcast:
    values = {
        "title": "Fuite de gaz rue de Rivoli",
        "body": "Évitez le secteur jusqu'à 18 h.",
        "severity": "Severe",
        "area": MultiPolygon(area, srid=4326) if isinstance(area, Polygon) else area,
        "expires_at": timezone.now() + timedelta(hours=2),
        "area_description": "Rue de Rivoli, entre l'Hôtel de Ville et Saint-Paul",
    }
    values.update(fields)
    return broadcast_to_area(centre=centre, author=supervisor, **values)


def pairs(polygon: str) -> list[tuple[float, float]]:
    """CAP's "lat,lon lat,lon …" as (lon, lat) tuples."""
    return [
        (float(lon), float(lat)) for lat, lon in (pair.split(",") for pair in polygon.split(" "))
    ]


def ground_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def fetch_cap(client, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == "application/cap+xml"
    return valid_cap(response.content)


def index(client) -> tuple[etree._Element, list[str]]:
    response = client.get("/api/v1/cap/")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/atom+xml"
    feed = etree.fromstring(response.content, PARSER)
    assert feed.tag == f"{ATOM}feed"
    links = feed.xpath("atom:entry/atom:link[@rel='alternate']/@href", namespaces=NS)
    types = feed.xpath("atom:entry/atom:link[@rel='alternate']/@type", namespaces=NS)
    assert set(types) <= {"application/cap+xml"}
    return feed, [urlsplit(link).path for link in links]


# --- the validator itself -----------------------------------------------------------------


def test_the_schema_accepts_a_real_alert_and_refuses_a_broken_one():
    valid_cap((FIXTURES / "google_caplib_australia.cap.xml").read_bytes())
    with pytest.raises(etree.DocumentInvalid, match="scope"):
        valid_cap((FIXTURES / "google_caplib_invalid.cap.xml").read_bytes())


def test_the_test_parser_resolves_no_entity_of_the_xxe_example():
    document = etree.fromstring((FIXTURES / "google_caplib_xee.cap.xml").read_bytes(), PARSER)
    headline = document.find(f"{CAP}info/{CAP}headline")
    assert "root:" not in etree.tostring(document, encoding="unicode")
    assert headline.text == "SEVERE THUNDERSTORM WARNING"  # &xxe; left unexpanded
    assert not SCHEMA.validate(document)  # its injected elements are not CAP


def test_cap_times_have_an_offset_and_whole_seconds_utc_as_minus_zero():
    moment = timezone.now().replace(microsecond=123456)
    assert CAP_TIME.fullmatch(cap_time(moment))
    with timezone.override("UTC"):
        assert cap_time(moment).endswith("-00:00")


# --- broadcasts: public -------------------------------------------------------------------


def test_a_broadcast_is_a_valid_public_cap_alert_for_anyone(api, paris, supervisor):
    broadcast = announce(supervisor, paris)

    alert = fetch_cap(api, f"/api/v1/cap/broadcasts/{broadcast.pk}.xml")

    assert alert.tag == f"{CAP}alert"
    assert alert.findtext(f"{CAP}identifier") == f"vigie:paris-csu:broadcast:{broadcast.pk}"
    assert alert.findtext(f"{CAP}sender") == "paris-csu@testserver"
    assert CAP_TIME.fullmatch(alert.findtext(f"{CAP}sent"))
    assert [alert.findtext(f"{CAP}{tag}") for tag in ("status", "msgType", "scope")] == [
        "Actual",
        "Alert",
        "Public",
    ]
    info = alert.find(f"{CAP}info")
    assert info.findtext(f"{CAP}language") == "fr-FR"
    assert info.findtext(f"{CAP}severity") == "Severe"
    assert info.findtext(f"{CAP}senderName") == "CSU de Paris"
    assert info.findtext(f"{CAP}headline") == "Fuite de gaz rue de Rivoli"
    assert info.findtext(f"{CAP}description") == "Évitez le secteur jusqu'à 18 h."
    assert CAP_TIME.fullmatch(info.findtext(f"{CAP}expires"))
    area = info.find(f"{CAP}area")
    assert area.findtext(f"{CAP}areaDesc").startswith("Rue de Rivoli")
    [polygon] = area.findall(f"{CAP}polygon")
    # Latitude first, closed, the very ring that was drawn.
    assert polygon.text.split(" ")[0] == "48.8555,2.35"
    assert pairs(polygon.text) == list(RIVOLI.exterior_ring.coords)


def test_a_multipolygon_broadcast_gives_one_closed_polygon_per_part(api, paris, supervisor):
    broadcast = announce(supervisor, paris, MultiPolygon(RIVOLI, ILE_SAINT_LOUIS, srid=4326))

    alert = fetch_cap(api, f"/api/v1/cap/broadcasts/{broadcast.pk}.xml")

    polygons = [p.text for p in alert.iterfind(f"{CAP}info/{CAP}area/{CAP}polygon")]
    assert [pairs(p) for p in polygons] == [
        list(RIVOLI.exterior_ring.coords),
        list(ILE_SAINT_LOUIS.exterior_ring.coords),
    ]
    for polygon in polygons:
        points = pairs(polygon)
        assert len(points) >= 4
        assert points[0] == points[-1]


def test_a_hole_in_an_area_is_announced_as_its_outline(api, paris, supervisor):
    hole = ((2.3520, 48.8560), (2.3530, 48.8560), (2.3530, 48.8570), (2.3520, 48.8560))
    with_hole = Polygon(RIVOLI.exterior_ring.coords, hole, srid=4326)
    broadcast = announce(supervisor, paris, with_hole)

    alert = fetch_cap(api, f"/api/v1/cap/broadcasts/{broadcast.pk}.xml")

    polygons = [p.text for p in alert.iterfind(f"{CAP}info/{CAP}area/{CAP}polygon")]
    assert [pairs(p) for p in polygons] == [list(RIVOLI.exterior_ring.coords)]


def drawn_circle(center: Point, radius_m: float) -> MultiPolygon:
    """A circle on the ground as a 32-segment polygon, drawn by PostGIS on geography, as the
    broadcast form draws one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_Buffer("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, 32)::geometry))",
            [center.x, center.y, radius_m],
        )
        return GEOSGeometry(memoryview(cursor.fetchone()[0]))


def test_a_broadcast_drawn_as_a_circle_is_a_closed_lat_lon_polygon(api, paris, supervisor):
    centre = PARIS_HOTEL_DE_VILLE
    broadcast = announce(
        supervisor, paris, drawn_circle(centre, 300), title="Manifestation", area_description=""
    )

    alert = fetch_cap(api, f"/api/v1/cap/broadcasts/{broadcast.pk}.xml")

    [polygon] = [p.text for p in alert.iterfind(f"{CAP}info/{CAP}area/{CAP}polygon")]
    points = pairs(polygon)
    assert len(points) > 30
    assert points[0] == points[-1]
    # Swapped coordinates would put every point some 5,000 km away.
    assert all(290 < ground_m(point, (centre.x, centre.y)) < 310 for point in points)
    area_description = alert.findtext(f"{CAP}info/{CAP}area/{CAP}areaDesc")
    assert area_description == "Zone de diffusion — CSU de Paris"


def test_special_characters_are_escaped_and_unwritable_ones_replaced(api, paris, supervisor):
    title = 'Alerte <script>&amp; "guillemets" ]]>'
    body = "Ligne 1\nLigne 2 \x0b <b>gras</b> & co"
    broadcast = announce(supervisor, paris, title=title, body=body)

    response = api.get(f"/api/v1/cap/broadcasts/{broadcast.pk}.xml")
    alert = valid_cap(response.content)

    assert b"<script>" not in response.content
    assert alert.findtext(f"{CAP}info/{CAP}headline") == title
    # A vertical tab cannot be written in XML 1.0, even escaped.
    assert alert.findtext(f"{CAP}info/{CAP}description") == body.replace("\x0b", "\ufffd")


def test_an_unknown_broadcast_is_a_json_404_whatever_the_client_accepts(api, db):
    for broadcast_id in (999, 2**70):
        response = api.get(
            f"/api/v1/cap/broadcasts/{broadcast_id}.xml", HTTP_ACCEPT="application/cap+xml"
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- critical reports: their centre's staff only --------------------------------------------


def test_a_critical_report_is_restricted_rounded_and_without_its_description(
    resident, operator, as_user
):
    spot = moved(PARIS_HOTEL_DE_VILLE, 40, 30)
    report = file_report(resident, spot, category="fire", description="Mme Dupont, 3e étage")

    response = as_user(operator).get(f"/api/v1/cap/reports/{report.pk}.xml")
    alert = valid_cap(response.content)

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/cap+xml"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert b"Dupont" not in response.content
    assert alert.findtext(f"{CAP}identifier") == f"vigie:paris-csu:report:{report.pk}"
    assert alert.findtext(f"{CAP}scope") == "Restricted"
    assert "CSU de Paris" in alert.findtext(f"{CAP}restriction")
    infos = alert.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["fr-FR", "en-US"]
    assert [i.findtext(f"{CAP}event") for i in infos] == ["Incendie, fumée", "Fire, smoke"]
    assert {i.findtext(f"{CAP}category") for i in infos} == {"Fire"}
    assert all(i.find(f"{CAP}description") is None for i in infos)
    assert all(report.reference in i.findtext(f"{CAP}headline") for i in infos)
    for info in infos:
        assert info.find(f"{CAP}area/{CAP}polygon") is None
        where, radius = info.findtext(f"{CAP}area/{CAP}circle").split(" ")
        lat, lon = (float(v) for v in where.split(","))
        assert radius == "0.1"  # kilometres
        assert (lat, lon) == (round(spot.y, 3), round(spot.x, 3))
        assert 0 < ground_m((lon, lat), (spot.x, spot.y)) < 100  # moved, yet within the circle


def test_a_supervisor_of_the_centre_gets_it_too(resident, supervisor, as_user):
    report = file_report(resident, category="person_in_distress")

    alert = fetch_cap(as_user(supervisor), f"/api/v1/cap/reports/{report.pk}.xml")

    categories = alert.find(f"{CAP}info").findall(f"{CAP}category")
    assert [c.text for c in categories] == ["Rescue", "Health"]


def test_a_report_is_refused_to_everyone_else(
    api, as_user, resident, operator, outsider_operator, police_officer
):
    critical = file_report(resident, category="fire")
    ordinary = file_report(resident, category="theft")
    path = f"/api/v1/cap/reports/{critical.pk}.xml"

    anonymous = api.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    for stranger in (outsider_operator, resident, police_officer):
        refused = as_user(stranger).get(path)
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"
    # Only critical reports are in the feed, even for the centre's own operator.
    assert as_user(operator).get(f"/api/v1/cap/reports/{ordinary.pk}.xml").status_code == 404
    assert as_user(operator).get("/api/v1/cap/reports/99999999999999999999.xml").status_code == 404


# --- the Atom index -------------------------------------------------------------------------


def test_anonymous_callers_see_current_broadcasts_only(api, paris, supervisor, resident):
    current = announce(supervisor, paris, title="Current")
    expired = announce(supervisor, paris, title="Expired")
    # The clock moves on: this one's time is up (set-up only; no service un-expires a row).
    Broadcast.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    file_report(resident, category="fire")

    feed, links = index(api)

    assert links == [f"/api/v1/cap/broadcasts/{current.pk}.xml"]
    assert feed.findtext("atom:entry/atom:title", namespaces=NS) == "Current"
    assert feed.find("atom:link[@rel='self']", NS).get("href") == "http://testserver/api/v1/cap/"
    response = api.get("/api/v1/cap/")
    assert "public" in response["Cache-Control"]
    assert {"Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    for link in links:
        fetch_cap(api, link)


def test_an_operator_sees_their_centres_open_critical_reports_of_the_last_six_hours(
    api, as_user, paris, supervisor, resident, operator, outsider_operator
):
    broadcast = announce(supervisor, paris)
    fresh = file_report(resident, category="fire")
    old = file_report(resident, category="suspicious_package")
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=7))
    closed = file_report(resident, category="medical_alarm")
    close_report(closed, operator=operator, outcome="handled")
    file_report(resident, category="theft")  # not critical
    elsewhere = file_report(resident, SAINT_DENIS_BASILICA, category="fire")

    feed, links = index(as_user(operator))

    assert sorted(links) == sorted(
        [f"/api/v1/cap/broadcasts/{broadcast.pk}.xml", f"/api/v1/cap/reports/{fresh.pk}.xml"]
    )
    response = as_user(operator).get("/api/v1/cap/")
    assert "no-store" in response["Cache-Control"]
    for link in links:
        fetch_cap(as_user(operator), link)

    # Saint-Denis's operator sees the public broadcast and their own alert, not Paris's.
    _, theirs = index(as_user(outsider_operator))
    assert sorted(theirs) == sorted(
        [f"/api/v1/cap/broadcasts/{broadcast.pk}.xml", f"/api/v1/cap/reports/{elsewhere.pk}.xml"]
    )
    # A resident signed in is told what anyone is told.
    _, residents = index(as_user(resident))
    assert residents == [f"/api/v1/cap/broadcasts/{broadcast.pk}.xml"]
    assert index(api)[1] == residents


def test_an_empty_index_is_still_a_valid_feed(api, db):
    feed, links = index(api)

    assert links == []
    assert feed.findtext("atom:id", namespaces=NS) == "http://testserver/api/v1/cap/"
    assert feed.findtext("atom:updated", namespaces=NS)


def test_the_index_costs_the_same_queries_for_one_item_or_many(
    as_user, paris, supervisor, resident, operator
):
    console = as_user(operator)
    announce(supervisor, paris)
    file_report(resident, category="fire")
    with CaptureQueriesContext(connection) as one:
        assert len(index(console)[1]) == 2
    for n in range(3):
        announce(supervisor, paris, title=f"Broadcast {n}")
        file_report(resident, category="panic_alarm" if n else "fire")

    with CaptureQueriesContext(connection) as many:
        assert len(index(console)[1]) == 8
    assert len(many) == len(one)
