"""What a camera can see, checked against cases computed by hand (real Nice coordinates)."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Polygon

from cameras.models import PrivacyMask
from cameras.queries import ranked_links
from tests.factories import NICE_PLACE_MASSENA, CentreFactory, camera_at, moved

HERE = NICE_PLACE_MASSENA


@pytest.fixture
def nice(db):
    return CentreFactory(
        slug="nice-csu",
        name="CSU de Nice",
        reference_prefix="NCE",
        outline_name="commune-nice",
        organisation_name="Ville de Nice",
    )


def judge(point, **kwargs):
    return {row["camera_id"]: row for row in ranked_links(point, **kwargs)}


def north_facing(nice, **fields):
    spec = {"kind": "fixed", "heading_deg": 0, "fov_deg": 60, "range_m": 100, **fields}
    return camera_at(nice, HERE, **spec)


class TestFixedCamera:
    def test_facing_north_sees_a_point_north_and_not_one_south(self, nice):
        camera = north_facing(nice)
        north = judge(moved(HERE, 50, 0))[camera.pk]
        south = judge(moved(HERE, 50, 180))[camera.pk]
        assert (north["reason"], north["visible"]) == ("in_view", True)
        assert (south["reason"], south["visible"]) == ("out_of_view", False)
        assert north["distance_m"] == pytest.approx(50, abs=0.5)
        assert north["bearing_deg"] == pytest.approx(0, abs=0.1) or north[
            "bearing_deg"
        ] == pytest.approx(360, abs=0.1)
        assert south["bearing_deg"] == pytest.approx(180, abs=0.1)

    @pytest.mark.parametrize(
        ("bearing", "reason"),
        [(29, "in_view"), (31, "out_of_view"), (-29, "in_view"), (-31, "out_of_view")],
    )
    def test_field_of_view_edges(self, nice, bearing, reason):
        camera = north_facing(nice)  # sees 330°..30°
        assert judge(moved(HERE, 60, bearing % 360))[camera.pk]["reason"] == reason

    @pytest.mark.parametrize(("bearing", "reason"), [(5, "in_view"), (15, "out_of_view")])
    def test_a_view_across_north_wraps(self, nice, bearing, reason):
        camera = north_facing(nice, heading_deg=350, fov_deg=40)  # sees 330°..10°
        assert judge(moved(HERE, 60, bearing))[camera.pk]["reason"] == reason

    def test_beyond_its_range_is_out_of_range(self, nice):
        camera = north_facing(nice, range_m=40)
        assert judge(moved(HERE, 60, 0))[camera.pk]["reason"] == "out_of_range"

    def test_a_fixed_camera_without_a_known_heading_counts_as_all_round(self, nice):
        camera = camera_at(nice, HERE, kind="fixed", range_m=100)
        assert judge(moved(HERE, 60, 200))[camera.pk]["reason"] == "in_view"

    def test_a_thermal_camera_is_judged_like_a_fixed_one(self, nice):
        camera = north_facing(nice, kind="thermal")
        assert judge(moved(HERE, 50, 90))[camera.pk]["reason"] == "out_of_view"


class TestTurningCameras:
    def test_a_dome_sees_all_round_within_range(self, nice):
        camera = camera_at(nice, HERE, kind="dome", range_m=100)
        for bearing in (0, 90, 180, 270):
            assert judge(moved(HERE, 80, bearing))[camera.pk]["reason"] == "in_view"
        assert judge(moved(HERE, 120, 0))[camera.pk]["reason"] == "out_of_range"

    @pytest.mark.parametrize(
        ("bearing", "reason"),
        [(90, "ptz_reachable"), (130, "ptz_reachable"), (140, "out_of_view"), (270, "out_of_view")],
    )
    def test_a_ptz_reaches_what_its_pan_limits_allow(self, nice, bearing, reason):
        # Pan 0 points east; it turns 45° either way: it reaches bearings 45°..135°.
        camera = camera_at(
            nice, HERE, kind="ptz", range_m=150, pan_zero_deg=90, pan_min_deg=-45, pan_max_deg=45
        )
        row = judge(moved(HERE, 60, bearing))[camera.pk]
        assert row["reason"] == reason
        assert row["visible"] is (reason == "ptz_reachable")

    def test_a_ptz_cannot_look_straight_down_past_its_tilt_limit(self, nice):
        # 10 m up, a point 5 m away is 63.4° below the horizon; this camera tilts to -60°.
        camera = camera_at(nice, HERE, kind="ptz", height_m=10, tilt_min_deg=-60, range_m=100)
        assert judge(moved(HERE, 5, 0))[camera.pk]["reason"] == "out_of_view"
        assert judge(moved(HERE, 7, 0))[camera.pk]["reason"] == "ptz_reachable"  # -55°


class TestPrivacyMasks:
    def test_a_masked_point_is_never_visible(self, nice):
        camera = camera_at(nice, HERE, kind="dome", range_m=100)
        target = moved(HERE, 30, 45)
        corners = [moved(target, 5, b) for b in (45, 135, 225, 315)]
        ring = [(p.x, p.y) for p in [*corners, corners[0]]]
        PrivacyMask.objects.create(camera=camera, area=Polygon(ring, srid=4326), note="flat")
        row = judge(target)[camera.pk]
        assert (row["reason"], row["visible"]) == ("masked", False)
        assert judge(moved(HERE, 30, 225))[camera.pk]["reason"] == "in_view"  # outside the mask


class TestRanking:
    def test_visible_first_then_reachable_then_the_rest_each_by_distance(self, nice):
        target = moved(HERE, 100, 90)
        near_blind = camera_at(
            nice,
            moved(target, 10, 90),
            "near-blind",
            kind="fixed",
            heading_deg=90,
            fov_deg=40,
            range_m=100,
        )  # faces away
        far_seeing = camera_at(
            nice,
            moved(target, 80, 270),
            "far-seeing",
            kind="fixed",
            heading_deg=90,
            fov_deg=40,
            range_m=100,
        )
        mid_ptz = camera_at(nice, moved(target, 40, 0), "mid-ptz", kind="ptz", range_m=100)
        near_dome = camera_at(nice, moved(target, 60, 180), "near-dome", kind="dome", range_m=100)
        rows = ranked_links(target)
        assert [r["camera_id"] for r in rows] == [
            near_dome.pk,
            far_seeing.pk,
            mid_ptz.pk,
            near_blind.pk,
        ]
        assert [r["rank"] for r in rows] == [0, 1, 2, 3]

    def test_only_so_many_within_the_search_radius(self, nice, settings):
        target = HERE
        for i in range(5):
            camera_at(nice, moved(target, 20 + 10 * i, 0), f"c{i}", kind="dome", range_m=100)
        camera_at(nice, moved(target, 400, 0), "far", kind="dome", range_m=1000)
        settings.VIGIE_CAMERA_LINKS_MAX = 3
        assert [round(r["distance_m"]) for r in ranked_links(target)] == [20, 30, 40]
        assert len(ranked_links(target, limit=10)) == 5  # the one 400 m away is beyond 300 m
        assert len(ranked_links(target, limit=10, radius_m=500)) == 6

    def test_a_camera_out_of_order_is_not_offered(self, nice):
        camera = camera_at(nice, HERE, kind="dome", status="out_of_order")
        assert camera.pk not in judge(moved(HERE, 10, 0))
