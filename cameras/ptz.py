"""Pointing a PTZ camera at a place: the geometry, and the one service that sends the order.

Angles are degrees, clockwise from true north for bearings (as everywhere in `cameras`).

- **Bearing and distance** from the camera to the target are answered by PostGIS on geography
  (`ST_Azimuth`, `ST_Distance`, on the WGS 84 spheroid), never by trigonometry in Python.
- **Pan** is the bearing less the camera's `pan_zero_deg`, folded into [-180, 180), then
  brought within [`pan_min_deg`, `pan_max_deg`]: to the limit nearest *around the circle*, so a
  camera limited to [-10, 170] asked for -175 turns to 170 (15° off), not to -10 (165° off).
- **Tilt** looks down at the ground from the mounting height: −atan(height / distance),
  clamped to [`tilt_min_deg`, `tilt_max_deg`]. Straight below the camera it is −90.
- **Zoom** makes a person of `PERSON_HEIGHT_M` fill `PERSON_SHARE_OF_FRAME` of the frame's
  height. Optical zoom ×z divides tan(half the field of view) by z, so with a vertical field of
  view V at ×1 the zoom needed at slant distance s is
  z = s · 2·tan(V/2) · share / person height, i.e. s / `ZOOM_1_DISTANCE_M` (≈ 9.2 m with the
  constants below: a 60° wide lens in 16:9, a 2 m person filling a third of the frame), then
  clamped to [1, `zoom_max`].
- A target beyond `range_m` is still pointed at (the operator may want to look that way), and
  the answer says so (`beyond_range`); the zoom then stays at most `zoom_max`.

The service records every order as a `PtzCommand` and talks to the camera outside any
transaction (STYLE.md rule 4): see `point_camera`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.db import connection, transaction

from cameras.drivers import DriverError, driver_for
from cameras.models import Camera, CameraKind, PtzCommand
from common.errors import Conflict, NotFound, RuleBroken

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

PERSON_HEIGHT_M = 2.0
PERSON_SHARE_OF_FRAME = 1 / 3
# Vertical field of view at ×1 of a typical PTZ camera: 60° horizontal in a 16:9 frame.
WIDE_VERTICAL_FOV_DEG = 2 * math.degrees(math.atan(math.tan(math.radians(30)) * 9 / 16))
ZOOM_1_DISTANCE_M = PERSON_HEIGHT_M / (
    PERSON_SHARE_OF_FRAME * 2 * math.tan(math.radians(WIDE_VERTICAL_FOV_DEG / 2))
)

# What a command row says while the camera has not answered yet. The model knows only "sent"
# and "failed", so an order starts as failed and becomes sent when the camera accepts it: a
# process that dies while talking to the camera leaves a row that tells the truth.


class NotPtz(RuleBroken):
    code = "not_ptz"
    message = "This camera cannot be pointed: it is not a PTZ camera."


class CameraOutOfOrder(Conflict):
    code = "camera_out_of_order"
    message = "This camera is out of order."


@dataclass(frozen=True)
class Aim:
    """Where a camera should look, and how that relates to what was asked."""

    bearing_deg: float
    distance_m: float
    pan_deg: float
    tilt_deg: float
    zoom: float
    clamped: bool  # pan or tilt hit a limit: the target is not in the centre of the picture
    beyond_range: bool


def fold(angle: float) -> float:
    """The same direction as `angle`, in [-180, 180)."""
    return (angle + 180.0) % 360.0 - 180.0


def clamp_pan(pan: float, low: float, high: float) -> float:
    """`pan` (already folded) within [low, high], else the limit nearest around the circle."""
    if low <= pan <= high:
        return pan
    return min((low, high), key=lambda limit: abs(fold(pan - limit)))


def zoom_for(slant_m: float, zoom_max: float) -> float:
    return min(max(slant_m / ZOOM_1_DISTANCE_M, 1.0), max(zoom_max, 1.0))


def aim_camera(camera: Camera, *, bearing_deg: float, distance_m: float) -> Aim:
    """Pan, tilt and zoom for a target at this bearing and ground distance from the camera.

    Values are rounded to 0.01 here, once: the row, the answer and the camera get the same ones.
    """
    wanted_pan = fold(bearing_deg - camera.pan_zero_deg)
    pan = clamp_pan(wanted_pan, camera.pan_min_deg, camera.pan_max_deg)
    wanted_tilt = -math.degrees(math.atan2(camera.height_m, distance_m))
    tilt = min(max(wanted_tilt, camera.tilt_min_deg), camera.tilt_max_deg)
    zoom = zoom_for(math.hypot(distance_m, camera.height_m), camera.zoom_max)
    return Aim(
        bearing_deg=round(bearing_deg, 2),
        distance_m=round(distance_m, 1),
        pan_deg=round(pan, 2),
        tilt_deg=round(tilt, 2),
        zoom=round(zoom, 2),
        clamped=not (math.isclose(pan, wanted_pan) and math.isclose(tilt, wanted_tilt)),
        beyond_range=distance_m > camera.range_m,
    )


_BEARING_AND_DISTANCE = """
SELECT COALESCE(degrees(ST_Azimuth(c.location, t.point)), 0), ST_Distance(c.location, t.point)
FROM cameras_camera c
CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS point) t
WHERE c.id = %(camera)s
"""


def bearing_and_distance(camera: Camera, target: Point) -> tuple[float, float]:
    """Bearing (degrees from north, 0 when the target is the camera's own point) and ground
    distance (metres) from the camera's stored position to `target`, on the spheroid."""
    with connection.cursor() as cursor:
        cursor.execute(
            _BEARING_AND_DISTANCE, {"lon": target.x, "lat": target.y, "camera": camera.pk}
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such camera.")
    return float(row[0]), float(row[1])


def _record_outcome(command: PtzCommand, *, outcome: str, error: str = "") -> None:
    command.status, command.error = outcome, error[:500]
    with transaction.atomic(durable=True):
        PtzCommand.objects.filter(pk=command.pk).update(status=command.status, error=command.error)


def point_camera(
    camera: Camera, *, target: Point, report: Any = None, issued_by: User | None
) -> PtzCommand:
    """Turn a PTZ camera toward `target` through its driver, and record the order.

    `report` (a reporting.Report, named loosely: `cameras` never imports `reporting`) is the
    report the order is for, if any. Must not be called inside a transaction (the durable
    blocks below refuse it): the order is recorded first and committed, the camera is called
    with no transaction or lock held, then the outcome is recorded.

    Raises NotPtz (422) and CameraOutOfOrder (409) before any order is recorded; a driver's
    failure (`camera_unreachable` 502, `camera_timeout` 504, `camera_error` 502,
    `ptz_not_configured` 422) after recording the command as failed, with its error text.
    On success the returned command carries `.aim`, the geometry behind it.
    """
    if camera.kind != CameraKind.PTZ:
        raise NotPtz()
    if camera.status == Camera.Status.OUT_OF_ORDER:
        raise CameraOutOfOrder()
    bearing, distance = bearing_and_distance(camera, target)
    aim = aim_camera(camera, bearing_deg=bearing, distance_m=distance)
    with transaction.atomic(durable=True):
        command = PtzCommand.objects.create(
            camera=camera,
            report=report,
            issued_by=issued_by,
            target=target,
            pan_deg=aim.pan_deg,
            tilt_deg=aim.tilt_deg,
            zoom=aim.zoom,
            driver=camera.ptz_driver,
            status=PtzCommand.Status.PENDING,
        )
    try:
        driver_for(camera).move(camera, pan_deg=aim.pan_deg, tilt_deg=aim.tilt_deg, zoom=aim.zoom)
    except DriverError as exc:
        logger.warning("PTZ command %s to camera %s failed: %s", command.pk, camera.pk, exc)
        _record_outcome(command, outcome=PtzCommand.Status.FAILED, error=exc.message)
        exc.message = f"{exc.message} (command {command.pk} recorded as failed)"
        exc.command = command
        raise
    except Exception as exc:  # a bug: record it, then let it be the 500 it is
        _record_outcome(command, outcome=PtzCommand.Status.FAILED, error=f"Internal error: {exc!r}")
        raise
    _record_outcome(command, outcome=PtzCommand.Status.SENT)
    command.aim = aim  # type: ignore[attr-defined]
    return command
