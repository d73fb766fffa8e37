"""What consoles and police apps are told about units and interventions."""

from __future__ import annotations

from typing import Any

from dispatch.models import Intervention, Unit


def _point(point: Any) -> dict[str, Any] | None:
    return None if point is None else {"type": "Point", "coordinates": [point.x, point.y]}


def _time(value: Any) -> str | None:
    return value.isoformat() if value else None


def unit_position_payload(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "callsign": unit.callsign,
        "kind": unit.kind,
        "centre": unit.centre_id,
        "status": unit.status,
        "location": _point(unit.last_location),
        "accuracy_m": unit.last_accuracy_m,
        "recorded_at": _time(unit.last_recorded_at),
        "seen_at": _time(unit.last_seen_at),
    }


def intervention_payload(intervention: Intervention) -> dict[str, Any]:
    unit = intervention.unit
    return {
        "id": intervention.pk,
        "report": intervention.report_id,
        "unit": {"id": unit.pk, "callsign": unit.callsign, "kind": unit.kind},
        "centre": intervention.centre_id,
        "state": intervention.state,
        "outcome": intervention.outcome,
        "note": intervention.note,
        "created_at": _time(intervention.created_at),
        "updated_at": _time(intervention.updated_at),
        "timeline": [
            {
                "from": event.from_state,
                "to": event.to_state,
                "at": _time(event.at),
                "by": event.by.username,
                "unit": event.unit.callsign,
                "unit_location": _point(event.unit_location),
                "note": event.note,
            }
            # Prefetched in order by dispatch.queries; a fresh row reads its few events here.
            for event in sorted(intervention.events.all(), key=lambda e: (e.at, e.pk))
        ],
    }
