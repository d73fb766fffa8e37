"""The console's actions on reports, over its WebSocket: the REST API's services, unchanged."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from cameras.ptz import point_camera
from cameras.queries import cameras_visible_to
from common.errors import InvalidInput, NotAllowed, NotFound
from live.actions import id_in, register
from reporting.models import Outcome
from reporting.payloads import report_payload
from reporting.queries import report_for_user
from reporting.services import triage


def _triage_allowed(user: User) -> None:
    # The same permission the REST endpoints require.
    if not user.has_perm("reporting.triage_report"):
        raise NotAllowed("Your role does not allow this.")


def acknowledge(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _triage_allowed(user)
    report = report_for_user(user, id_in(message, "report"))
    return report_payload(triage.acknowledge_report(report, operator=user))


def close(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _triage_allowed(user)
    outcome = message.get("outcome")
    if outcome not in Outcome.values:
        raise InvalidInput(fields={"outcome": Outcome.values})
    report = report_for_user(user, id_in(message, "report"))
    note = str(message.get("note") or "")[:4000]
    return report_payload(triage.close_report(report, operator=user, outcome=outcome, note=note))


def merge(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _triage_allowed(user)
    report = report_for_user(user, id_in(message, "report"))
    into = report_for_user(user, id_in(message, "into"))
    incident = triage.merge_reports(report, into=into, operator=user)
    return {"incident": incident.pk}


def point_camera_at_report(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _triage_allowed(user)
    report = report_for_user(user, id_in(message, "report"))
    camera = cameras_visible_to(user).filter(pk=id_in(message, "camera")).first()
    if camera is None:
        raise NotFound("No such camera in the centres you serve.")
    command = point_camera(camera, target=report.location, report=report, issued_by=user)
    return {
        "command": command.pk,
        "pan_deg": command.pan_deg,
        "tilt_deg": command.tilt_deg,
        "zoom": command.zoom,
        "status": command.status,
    }


def register_console_actions() -> None:
    register("acknowledge", acknowledge)
    register("close", close)
    register("merge", merge)
    register("point_camera", point_camera_at_report)
