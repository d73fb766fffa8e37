"""A camera link as apps, consoles and events see it (API.md, "A camera link")."""

from __future__ import annotations

from typing import Any

from cameras.models import Camera, CameraLink


def camera_payload(camera: Camera) -> dict[str, Any]:
    return {
        "id": camera.pk,
        "name": camera.name or camera.external_id,
        "kind": camera.kind,
        "location": {"type": "Point", "coordinates": [camera.location.x, camera.location.y]},
    }


def link_payload(link: CameraLink) -> dict[str, Any]:
    camera = link.camera
    return {
        "camera": camera_payload(camera),
        "distance_m": round(link.distance_m, 1),
        "bearing_deg": round(link.bearing_deg, 1),
        "visible": link.visible,
        "reason": link.reason,
        "snapshot_url": camera.render_url(camera.snapshot_url),
        "stream_url": camera.render_url(camera.stream_url),
    }


def camera_feature(camera: Camera) -> dict[str, Any]:
    """A camera on the console map: a GeoJSON Feature with what the map draws."""
    return {
        "type": "Feature",
        "id": camera.pk,
        "geometry": {"type": "Point", "coordinates": [camera.location.x, camera.location.y]},
        "properties": {
            "external_id": camera.external_id,
            "name": camera.name or camera.external_id,
            "kind": camera.kind,
            "status": camera.status,
            "heading_deg": camera.heading_deg,
            "fov_deg": camera.fov_deg,
            "range_m": camera.range_m,
            "centre": camera.centre_id,
            "snapshot_url": camera.render_url(camera.snapshot_url),
            "stream_url": camera.render_url(camera.stream_url),
        },
    }
