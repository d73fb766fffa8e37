"""Which cameras can show a point: one PostGIS query, ranked best first.

Geography rather than a metric projection: one centre may be anywhere (Paris, Nice, an
overseas département), ranges and radii are in metres with no projection to choose per city,
and the GiST index on geography answers `ST_DWithin` directly; bench/cameras.py measures it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from cameras.models import Camera


def _wrapped(angle: str) -> str:
    """SQL for an angle folded into [-180, 180): how far, and which way, from a direction."""
    return f"(({angle}) + 540 - 360 * floor((({angle}) + 540) / 360) - 180)"


_RANKED_LINKS = """
WITH target AS (
    SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS point
),
near AS (
    SELECT c.id, c.kind, c.height_m, c.heading_deg, c.fov_deg, c.range_m,
           c.pan_zero_deg, c.pan_min_deg, c.pan_max_deg, c.tilt_min_deg, c.tilt_max_deg,
           -- On the sphere: a few centimetres off the spheroid at these distances, and cheaper.
           ST_Distance(c.location, t.point, false) AS distance_m,
           COALESCE(degrees(ST_Azimuth(c.location, t.point)), 0) AS bearing_deg,
           EXISTS (
               SELECT 1 FROM cameras_privacymask m
               WHERE m.camera_id = c.id AND ST_Covers(m.area, t.point)
           ) AS masked
    FROM cameras_camera c CROSS JOIN target t
    WHERE c.status = 'active'
    -- The nearest candidates straight from the GiST index (KNN), rather than every camera of
    -- the search circle: in the densest networks a 300 m circle holds thousands of cameras,
    -- and the best links are among the nearest. The radius is applied to these below.
    ORDER BY c.location <-> t.point
    LIMIT %(candidates)s
),
judged AS (
    SELECT id, distance_m, bearing_deg,
        CASE
            WHEN masked THEN 'masked'
            WHEN distance_m > range_m THEN 'out_of_range'
            WHEN kind = 'dome' THEN 'in_view'
            WHEN kind = 'ptz' THEN
                CASE WHEN ({pan} BETWEEN pan_min_deg AND pan_max_deg)
                      AND ({tilt} BETWEEN tilt_min_deg AND tilt_max_deg)
                     THEN 'ptz_reachable' ELSE 'out_of_view' END
            -- fixed and thermal: within heading ± fov/2; no known heading means all round
            WHEN heading_deg IS NULL OR fov_deg IS NULL OR fov_deg >= 360
                 OR abs({off_heading}) <= fov_deg / 2 THEN 'in_view'
            ELSE 'out_of_view'
        END AS reason
    FROM near
    WHERE distance_m <= %(radius)s
)
SELECT id, distance_m, bearing_deg, reason
FROM judged
ORDER BY CASE reason WHEN 'in_view' THEN 0 WHEN 'ptz_reachable' THEN 1 ELSE 2 END,
         distance_m, id
LIMIT %(limit)s
""".format(  # noqa: S608 - constant SQL fragments; values go as parameters
    pan=_wrapped("bearing_deg - pan_zero_deg"),
    # Looking down at a point on the ground is a negative tilt.
    tilt="-degrees(atan2(height_m, greatest(distance_m, 0.1)))",
    off_heading=_wrapped("bearing_deg - heading_deg"),
)

VISIBLE_REASONS = frozenset({"in_view", "ptz_reachable"})


def ranked_links(
    location: Point, *, radius_m: float | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The cameras around `location`, best first: visible now, then reachable by PTZ, then the
    rest, each by distance; at most `limit` within `radius_m`."""
    params = {
        "lon": location.x,
        "lat": location.y,
        "radius": radius_m or settings.VIGIE_CAMERA_SEARCH_RADIUS_M,
        "limit": limit or settings.VIGIE_CAMERA_LINKS_MAX,
        "candidates": settings.VIGIE_CAMERA_CANDIDATES,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RANKED_LINKS, params)
        rows = cursor.fetchall()
    return [
        {
            "camera_id": camera_id,
            "rank": rank,
            "distance_m": distance,
            "bearing_deg": bearing,
            "reason": reason,
            "visible": reason in VISIBLE_REASONS,
        }
        for rank, (camera_id, distance, bearing, reason) in enumerate(rows)
    ]


def cameras_visible_to(user: User) -> QuerySet[Camera]:
    """The cameras of the centres this person serves (all of them for an administrator)."""
    if user.is_superuser:
        return Camera.objects.all()
    return Camera.objects.filter(centre__in=user.centres.values("pk"))
