"""Turning the nearest PTZ cameras toward an alert, after its report is committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from alerts.models import Alert
from cameras.drivers import DriverError
from cameras.models import Camera, CameraKind, PtzCommand
from cameras.ptz import point_camera
from cameras.queries import VISIBLE_REASONS, ranked_links
from live.services import publish

logger = logging.getLogger(__name__)


def cameras_to_steer(alert: Alert) -> list[Camera]:
    """The nearest working PTZ cameras that can see the spot, at most VIGIE_ALERT_PTZ_CAMERAS.

    Chosen from all the candidates around the point, not only the links shown to operators,
    so ten fixed cameras in view do not crowd out the PTZ camera that could zoom in.
    """
    report = alert.report
    ranked = [
        row["camera_id"]
        for row in ranked_links(report.location, limit=settings.VIGIE_CAMERA_CANDIDATES)
        if row["reason"] in VISIBLE_REASONS
    ]
    ptz = Camera.objects.filter(pk__in=ranked, kind=CameraKind.PTZ).exclude(
        status=Camera.Status.OUT_OF_ORDER
    )
    already = set(
        PtzCommand.objects.filter(
            report=report, issued_by=None, status=PtzCommand.Status.SENT
        ).values_list("camera_id", flat=True)
    )
    by_id = {camera.pk: camera for camera in ptz if camera.pk not in already}
    wanted = settings.VIGIE_ALERT_PTZ_CAMERAS - len(already)
    return [by_id[camera_id] for camera_id in ranked if camera_id in by_id][: max(wanted, 0)]


def steer_cameras(alert: Alert) -> list[PtzCommand]:
    """Point the chosen PTZ cameras at the alert, one by one.

    The report's camera links are recorded by its own task (reporting.tasks.link_cameras);
    the choice here comes from the same ranking, so neither waits for the other. Must run
    outside any transaction (point_camera talks to cameras). A camera that fails is recorded
    as failed and the next one is tried; a second run (a retried task) does not re-point the
    cameras already turned.
    """
    report = alert.report
    commands = []
    for camera in cameras_to_steer(alert):
        try:
            commands.append(
                point_camera(camera, target=report.location, report=report, issued_by=None)
            )
        except DriverError as exc:
            logger.warning("Alert %s: camera %s could not be pointed: %s", alert.pk, camera.pk, exc)
            commands.append(exc.command)
    if commands:
        with transaction.atomic():
            publish(
                report.centre_id,
                "report.ptz",
                {
                    "report": report.pk,
                    "commands": [
                        {
                            "camera": command.camera_id,
                            "name": command.camera.name,
                            "pan_deg": command.pan_deg,
                            "tilt_deg": command.tilt_deg,
                            "zoom": command.zoom,
                            "status": command.status,
                            "error": command.error,
                        }
                        for command in commands
                    ],
                },
            )
    return commands
