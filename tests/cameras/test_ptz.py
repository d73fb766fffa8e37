"""Pointing a PTZ camera: the geometry against cases computed by hand, then the endpoint
`POST /api/v1/cameras/{id}/point/` through the public door with the simulated driver.

(The ONVIF driver against a fake camera is in test_onvif.py.)
"""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from cameras.models import Camera, PtzCommand
from cameras.ptz import (
    PERSON_HEIGHT_M,
    PERSON_SHARE_OF_FRAME,
    WIDE_VERTICAL_FOV_DEG,
    ZOOM_1_DISTANCE_M,
    aim_camera,
    bearing_and_distance,
    clamp_pan,
    fold,
    zoom_for,
)
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    camera_at,
    file_report,
    moved,
    point_json,
)

HERE = PARIS_HOTEL_DE_VILLE
PTZ = {
    "kind": "ptz",
    "height_m": 6.0,
    "pan_zero_deg": 0.0,
    "pan_min_deg": -180.0,
    "pan_max_deg": 180.0,
    "tilt_min_deg": -90.0,
    "tilt_max_deg": 10.0,
    "zoom_max": 21.0,
    "range_m": 150.0,
}


def ptz(**fields) -> Camera:
    """An unsaved PTZ camera: the geometry needs only its numbers."""
    return Camera(**{**PTZ, **fields})


def url(camera) -> str:
    return f"/api/v1/cameras/{camera.pk}/point/"


# --- geometry -------------------------------------------------------------------------------


class TestPan:
    def test_a_target_due_east_is_pan_90_when_pan_zero_is_north(self):
        assert aim_camera(ptz(), bearing_deg=90, distance_m=50).pan_deg == 90

    def test_a_target_due_east_is_pan_0_when_pan_zero_is_east(self):
        assert aim_camera(ptz(pan_zero_deg=90), bearing_deg=90, distance_m=50).pan_deg == 0

    def test_pan_is_folded_into_minus_180_to_180(self):
        assert aim_camera(ptz(pan_zero_deg=350), bearing_deg=10, distance_m=50).pan_deg == 20
        assert aim_camera(ptz(pan_zero_deg=200), bearing_deg=10, distance_m=50).pan_deg == 170
        assert aim_camera(ptz(pan_zero_deg=90), bearing_deg=270, distance_m=50).pan_deg == -180
        assert fold(180) == -180
        assert fold(-180) == -180
        assert fold(540) == -180

    def test_pan_beyond_a_limit_stops_at_it_and_says_so(self):
        aim = aim_camera(ptz(pan_min_deg=-90, pan_max_deg=90), bearing_deg=120, distance_m=50)
        assert (aim.pan_deg, aim.clamped) == (90, True)
        inside = aim_camera(ptz(pan_min_deg=-90, pan_max_deg=90), bearing_deg=45, distance_m=50)
        assert (inside.pan_deg, inside.clamped) == (45, False)

    def test_pan_stops_at_the_limit_nearest_around_the_circle(self):
        # Limits [-10, 170]: -175 is 5° from -180 = 180, so 15° from 170 and 165° from -10.
        assert clamp_pan(-175, -10, 170) == 170
        assert clamp_pan(-20, -10, 170) == -10


class TestTilt:
    def test_six_metres_up_looking_six_metres_away_is_minus_45(self):
        assert aim_camera(ptz(height_m=6), bearing_deg=0, distance_m=6).tilt_deg == -45

    def test_straight_below_is_minus_90(self):
        assert aim_camera(ptz(height_m=6), bearing_deg=0, distance_m=0).tilt_deg == -90

    def test_far_away_is_nearly_level(self):
        # atan(6 / 600) = 0.573°
        assert aim_camera(ptz(), bearing_deg=0, distance_m=600).tilt_deg == -0.57

    def test_tilt_beyond_a_limit_stops_at_it_and_says_so(self):
        # Wanted: -atan(6 / 2) = -71.57°, but the camera only looks 30° down.
        aim = aim_camera(ptz(height_m=6, tilt_min_deg=-30), bearing_deg=0, distance_m=2)
        assert (aim.tilt_deg, aim.clamped) == (-30, True)


class TestZoom:
    def test_the_constants_are_a_60_degree_lens_in_16_9_and_a_third_of_the_frame(self):
        # tan(V/2) = tan(30°)·9/16 = 0.32476; zoom 1 distance = 2 / (1/3 · 2 · 0.32476) m.
        assert round(WIDE_VERTICAL_FOV_DEG, 2) == 35.98
        assert round(ZOOM_1_DISTANCE_M, 4) == 9.2376

    @pytest.mark.parametrize("slant_m", [10, 25, 60.3, 150])
    def test_a_person_fills_a_third_of_the_frame(self, slant_m):
        zoom = zoom_for(slant_m, zoom_max=50)
        frame_height = 2 * slant_m * math.tan(math.radians(WIDE_VERTICAL_FOV_DEG / 2)) / zoom
        assert PERSON_HEIGHT_M / frame_height == pytest.approx(PERSON_SHARE_OF_FRAME)

    def test_zoom_grows_with_the_slant_distance(self):
        # Slant distance from 6 m up to a point 60 m away: hypot(60, 6) = 60.30 m → ×6.53.
        assert aim_camera(ptz(), bearing_deg=0, distance_m=60).zoom == 6.53

    def test_zoom_stays_within_1_and_the_cameras_zoom_max(self):
        assert aim_camera(ptz(), bearing_deg=0, distance_m=3).zoom == 1
        assert aim_camera(ptz(zoom_max=4), bearing_deg=0, distance_m=100).zoom == 4
        assert aim_camera(ptz(zoom_max=1), bearing_deg=0, distance_m=100).zoom == 1

    def test_zoom_at_the_limit_is_not_a_clamped_aim(self):
        assert not aim_camera(ptz(zoom_max=4), bearing_deg=0, distance_m=100).clamped


def test_a_target_beyond_range_is_aimed_at_and_flagged():
    aim = aim_camera(ptz(range_m=150), bearing_deg=30, distance_m=400)
    assert (aim.pan_deg, aim.beyond_range, aim.zoom) == (30, True, 21)
    assert not aim_camera(ptz(range_m=150), bearing_deg=30, distance_m=149).beyond_range


class TestBearingAndDistanceFromPostGIS:
    @pytest.mark.parametrize("bearing", [0, 45, 90, 180, 270])
    def test_a_point_100_m_away_in_a_known_direction(self, paris, bearing):
        camera = camera_at(paris, HERE, "PTZ-1", **PTZ)
        azimuth, distance = bearing_and_distance(camera, moved(HERE, 100, bearing))
        # moved() is on a sphere; PostGIS on the spheroid: within a few decimetres.
        assert fold(azimuth - bearing) == pytest.approx(0, abs=0.2)
        assert distance == pytest.approx(100, abs=0.5)

    def test_the_cameras_own_point_is_bearing_0_distance_0(self, paris):
        camera = camera_at(paris, HERE, "PTZ-1", **PTZ)
        assert bearing_and_distance(camera, HERE) == (0, 0)


# --- the endpoint ---------------------------------------------------------------------------


@pytest.fixture
def camera(paris):
    return camera_at(paris, HERE, "PTZ-1", name="Hôtel de Ville PTZ", **PTZ)


@pytest.fixture
def outsider_operator(saint_denis):
    return UserFactory(username="operator-sd", role=Role.OPERATOR, centre=saint_denis)


def east(metres: float) -> Point:
    return moved(HERE, metres, 90)


def test_an_operator_points_a_ptz_camera_at_a_place(as_user, operator, camera):
    response = as_user(operator).post(
        url(camera), {"location": point_json(east(60))}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    command = PtzCommand.objects.get()
    assert body == {
        "command": command.pk,
        "pan_deg": command.pan_deg,
        "tilt_deg": command.tilt_deg,
        "zoom": command.zoom,
        "driver": "simulated",
        "status": "sent",
        "clamped": False,
        "beyond_range": False,
        "distance_m": body["distance_m"],
        "bearing_deg": body["bearing_deg"],
    }
    # By hand: due east; 6 m up at 60 m: -atan(0.1) = -5.71°; slant 60.30 m / 9.2376 = ×6.53.
    assert body["pan_deg"] == pytest.approx(90, abs=0.05)
    assert body["tilt_deg"] == pytest.approx(-5.71, abs=0.02)
    assert body["zoom"] == pytest.approx(6.53, abs=0.02)
    assert body["distance_m"] == pytest.approx(60, abs=0.3)
    assert (command.camera, command.issued_by, command.report) == (camera, operator, None)
    assert (command.status, command.error, command.driver) == ("sent", "", "simulated")
    assert command.target.equals_exact(east(60), 1e-9)


def test_an_operator_points_a_camera_at_a_report(as_user, operator, resident, camera):
    report = file_report(resident, where=moved(HERE, 30, 180))

    response = as_user(operator).post(url(camera), {"report": report.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert fold(response.json()["pan_deg"] - 180) == pytest.approx(0, abs=0.05)  # due south
    command = PtzCommand.objects.get()
    assert command.report == report
    assert command.target.equals_exact(report.location, 1e-9)


def test_clamped_and_beyond_range_targets_are_still_pointed_at(as_user, operator, paris):
    camera = camera_at(paris, HERE, "PTZ-2", **{**PTZ, "pan_min_deg": -45, "pan_max_deg": 45})

    response = as_user(operator).post(
        url(camera), {"location": point_json(east(400))}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["pan_deg"], body["clamped"], body["beyond_range"]) == (45, True, True)
    assert (body["zoom"], body["status"]) == (21, "sent")


def test_a_camera_of_another_centre_is_not_found(as_user, outsider_operator, camera):
    response = as_user(outsider_operator).post(
        url(camera), {"location": point_json(east(60))}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not PtzCommand.objects.exists()


@pytest.mark.parametrize("offset", [1000, 10**30])
def test_a_missing_camera_is_not_found_either(as_user, operator, camera, offset):
    response = as_user(operator).post(
        f"/api/v1/cameras/{camera.pk + offset}/point/",
        {"location": point_json(east(60))},
        format="json",
    )
    assert response.status_code == 404


def test_a_report_the_operator_may_not_see_is_not_found(as_user, operator, camera, saint_denis):
    neighbour = UserFactory(username="resident-sd", role=Role.RESIDENT, centre=saint_denis)
    foreign = file_report(neighbour, where=SAINT_DENIS_BASILICA)

    response = as_user(operator).post(url(camera), {"report": foreign.pk}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such report."
    assert not PtzCommand.objects.exists()


@pytest.mark.parametrize("report_id", [0, -1, 10**30])
def test_an_impossible_report_id_is_not_found(as_user, operator, camera, report_id):
    response = as_user(operator).post(url(camera), {"report": report_id}, format="json")
    assert response.status_code == 404
    assert not PtzCommand.objects.exists()


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.POLICE, Role.VETTING])
def test_only_operators_may_point_cameras(as_user, paris, camera, role):
    user = UserFactory(username=f"someone-{role}", role=role, centre=paris)

    response = as_user(user).post(url(camera), {"location": point_json(east(60))}, format="json")

    assert response.status_code == 403
    assert not PtzCommand.objects.exists()


def test_a_stranger_must_sign_in(api, camera):
    response = api.post(url(camera), {"location": point_json(east(60))}, format="json")
    assert response.status_code in (401, 403)
    assert not PtzCommand.objects.exists()


@pytest.mark.parametrize("kind", ["fixed", "dome", "thermal"])
def test_a_camera_that_does_not_turn_cannot_be_pointed(as_user, operator, paris, kind):
    camera = camera_at(paris, HERE, f"{kind}-1", kind=kind)

    response = as_user(operator).post(
        url(camera), {"location": point_json(east(60))}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_ptz"
    assert not PtzCommand.objects.exists()


def test_a_camera_out_of_order_is_a_conflict(as_user, operator, paris):
    camera = camera_at(paris, HERE, "PTZ-3", status="out_of_order", **PTZ)

    response = as_user(operator).post(
        url(camera), {"location": point_json(east(60))}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "camera_out_of_order"
    assert not PtzCommand.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"report": 1, "location": {"type": "Point", "coordinates": [2.35, 48.85]}},
        {"location": {"type": "Point", "coordinates": [2.35, 48.85], "crs": {}}},
        {"location": {"type": "Point", "coordinates": [200, 48.85]}},
        {"location": "here"},
        {"report": "first"},
    ],
)
def test_a_bad_body_is_a_400(as_user, operator, camera, body):
    response = as_user(operator).post(url(camera), body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not PtzCommand.objects.exists()


def test_an_onvif_camera_without_an_address_records_a_failed_order(as_user, operator, paris):
    camera = camera_at(paris, HERE, "PTZ-4", ptz_driver="onvif", onvif_url="", **PTZ)

    response = as_user(operator).post(
        url(camera), {"location": point_json(east(60))}, format="json"
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "ptz_not_configured"
    command = PtzCommand.objects.get()
    assert f"command {command.pk} recorded as failed" in error["message"]
    assert (command.status, command.driver) == ("failed", "onvif")
    assert "no onvif_url" in command.error


def test_the_endpoint_is_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/cameras/{camera_id}/point/"]["post"]
    assert {"200", "400", "403", "404", "409", "422", "502", "504"} <= set(operation["responses"])
    assert {"PointInputRequest", "PointOutput", "ApiError"} <= set(schema["components"]["schemas"])
