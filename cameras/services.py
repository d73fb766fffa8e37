"""State changes of the camera registry and of report→camera links."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction

from accounts.models import MonitoringCentre
from cameras.models import Camera, CameraLink
from cameras.payloads import link_payload
from cameras.queries import ranked_links
from common.errors import InvalidInput
from live.services import publish

# What an import may set on a camera; anything else in a row is ignored.
CAMERA_FIELDS = {
    "name", "kind", "status", "location", "height_m", "heading_deg", "fov_deg", "range_m",
    "pan_zero_deg", "pan_min_deg", "pan_max_deg", "tilt_min_deg", "tilt_max_deg", "zoom_max",
    "presets", "stream_url", "snapshot_url", "vms_ref", "ptz_driver", "onvif_url",
}  # fmt: skip


def same_value(old: Any, new: Any) -> bool:
    """Exactly equal: points coordinate for coordinate, anything else by `==`."""
    if isinstance(old, Point) and isinstance(new, Point):
        return old.equals_exact(new, 0)
    return old == new


def is_unchanged(camera: Camera, fields: dict[str, Any]) -> bool:
    """Would `upsert_camera` leave this camera as it is? (The importer's fast path asks.)"""
    return all(same_value(getattr(camera, name), value) for name, value in fields.items())


@transaction.atomic
def upsert_camera(centre: MonitoringCentre, external_id: str, **fields: Any) -> tuple[Camera, str]:
    """Create the camera, or bring the one with this external id in this centre up to date.

    Returns the camera and what happened: "created", "updated" or "unchanged", so a
    re-import of the same file changes nothing and says so. Invalid values raise InvalidInput.
    """
    unknown = set(fields) - CAMERA_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown camera fields: {', '.join(sorted(unknown))}.")
    camera = (
        Camera.objects.select_for_update().filter(centre=centre, external_id=external_id).first()
    )
    outcome = "created" if camera is None else "unchanged"
    camera = camera or Camera(centre=centre, external_id=external_id)
    for name, value in fields.items():
        if outcome == "created" or not same_value(getattr(camera, name), value):
            setattr(camera, name, value)
            outcome = "created" if outcome == "created" else "updated"
    if outcome == "unchanged":
        return camera, outcome
    try:
        camera.full_clean(exclude=["centre"])
    except DjangoValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc
    camera.save()
    return camera, outcome


LINKS_LOCK = 7_150_001  # pg_advisory_xact_lock's first key: "a report's camera links"


@transaction.atomic
def link_report(*, report_id: int, location: Point, centre_id: int) -> list[CameraLink]:
    """Find the cameras that can see a report's point and record them, best first.

    Called after the report's transaction commits (a Celery task), so it may run twice for a
    report: the links are replaced, not added to, and a `report.cameras` event announces them.
    """
    # Two linkers of one report (a redelivered task beside the first) take turns: each replaces
    # the whole set, and they must not interleave their delete and insert.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LINKS_LOCK, report_id % 2_147_483_647]
        )
    rows = ranked_links(location)
    CameraLink.objects.filter(report_id=report_id).delete()
    links = CameraLink.objects.bulk_create(CameraLink(report_id=report_id, **row) for row in rows)
    links = list(
        CameraLink.objects.filter(report_id=report_id).select_related("camera").order_by("rank")
    )
    publish(
        centre_id,
        "report.cameras",
        {"report": report_id, "cameras": [link_payload(link) for link in links]},
    )
    return links
