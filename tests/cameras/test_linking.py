"""Every new report is linked, after it commits, to the cameras that can see it."""

from __future__ import annotations

import pytest

from cameras.models import CameraLink
from cameras.services import link_report
from live.models import Event
from tests.factories import PARIS_HOTEL_DE_VILLE, camera_at, file_report, moved


@pytest.fixture
def cameras(paris):
    return {
        "dome": camera_at(
            paris,
            moved(PARIS_HOTEL_DE_VILLE, 40, 0),
            "PP-1",
            kind="dome",
            range_m=100,
            name="Rivoli / Hôtel de Ville",
            snapshot_url="https://vms.example/snap/{external_id}.jpg",
            stream_url="rtsp://vms.example/live/{id}",
        ),
        "blind": camera_at(
            paris,
            moved(PARIS_HOTEL_DE_VILLE, 20, 0),
            "PP-2",
            kind="fixed",
            heading_deg=0,
            fov_deg=60,
            range_m=100,
        ),
    }


def test_a_new_report_gets_its_links_and_an_event_after_commit(
    resident, cameras, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(resident)

    links = list(CameraLink.objects.filter(report=report).order_by("rank"))
    assert [(link.camera, link.reason, link.visible) for link in links] == [
        (cameras["dome"], "in_view", True),
        (cameras["blind"], "out_of_view", False),  # it faces away, north
    ]
    events = list(Event.objects.filter(centre=report.centre).order_by("seq"))
    assert [e.type for e in events] == ["report.created", "report.cameras"]
    assert [c["camera"]["id"] for c in events[1].data["cameras"]] == [
        cameras["dome"].pk,
        cameras["blind"].pk,
    ]


def test_nothing_is_linked_before_the_report_commits(
    resident, cameras, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = file_report(resident)
        assert not CameraLink.objects.filter(report=report).exists()
    assert len(callbacks) == 2  # the broadcast, then the linking task


def test_linking_twice_replaces_rather_than_duplicates(resident, cameras):
    report = file_report(resident)
    link_report(report_id=report.pk, location=report.location, centre_id=report.centre_id)
    link_report(report_id=report.pk, location=report.location, centre_id=report.centre_id)
    assert CameraLink.objects.filter(report=report).count() == 2


def test_operators_read_the_links_with_urls_from_the_templates(
    as_user, operator, resident, cameras
):
    report = file_report(resident)
    link_report(report_id=report.pk, location=report.location, centre_id=report.centre_id)

    response = as_user(operator).get(f"/api/v1/reports/{report.pk}/cameras/")

    assert response.status_code == 200
    best = response.json()[0]
    assert best == {
        "camera": {
            "id": cameras["dome"].pk,
            "name": "Rivoli / Hôtel de Ville",
            "kind": "dome",
            "location": best["camera"]["location"],
        },
        "distance_m": pytest.approx(40, abs=0.5),
        "bearing_deg": pytest.approx(180, abs=0.5),  # from the camera, north of it, to the point
        "visible": True,
        "reason": "in_view",
        "snapshot_url": "https://vms.example/snap/PP-1.jpg",
        "stream_url": f"rtsp://vms.example/live/{cameras['dome'].pk}",
    }
    detail = as_user(operator).get(f"/api/v1/reports/{report.pk}/").json()
    assert [c["camera"]["id"] for c in detail["cameras"]] == [
        cameras["dome"].pk,
        cameras["blind"].pk,
    ]


def test_the_links_are_for_operators_of_the_centre_only(
    as_user, resident, outsider_operator, cameras
):
    report = file_report(resident)
    assert as_user(resident).get(f"/api/v1/reports/{report.pk}/cameras/").status_code == 403
    assert (
        as_user(outsider_operator).get(f"/api/v1/reports/{report.pk}/cameras/").status_code == 404
    )


class TestCameraLayer:
    def test_is_geojson_of_the_operators_centres(self, as_user, operator, cameras, saint_denis):
        from tests.factories import SAINT_DENIS_BASILICA

        camera_at(saint_denis, SAINT_DENIS_BASILICA, "SD-1", kind="dome")
        body = as_user(operator).get("/api/v1/cameras/").json()
        assert body["type"] == "FeatureCollection"
        assert {f["properties"]["external_id"] for f in body["features"]} == {"PP-1", "PP-2"}
        feature = next(f for f in body["features"] if f["id"] == cameras["blind"].pk)
        assert feature["geometry"]["type"] == "Point"
        assert feature["properties"]["heading_deg"] == 0

    def test_filters_by_bbox(self, as_user, operator, cameras):
        dome = cameras["dome"].location
        bbox = f"{dome.x - 0.0001},{dome.y - 0.0001},{dome.x + 0.0001},{dome.y + 0.0001}"
        body = as_user(operator).get("/api/v1/cameras/", {"bbox": bbox}).json()
        assert [f["id"] for f in body["features"]] == [cameras["dome"].pk]

    @pytest.mark.parametrize("bbox", ["1,2,3", "3,48,2,49", "x,y,z,w", "nan,0,1,1"])
    def test_a_bad_bbox_is_400(self, as_user, operator, cameras, bbox):
        response = as_user(operator).get("/api/v1/cameras/", {"bbox": bbox})
        assert response.status_code == 400
        assert "bbox" in response.json()["error"]["fields"]

    def test_is_not_for_residents(self, as_user, resident, cameras):
        assert as_user(resident).get("/api/v1/cameras/").status_code == 403
