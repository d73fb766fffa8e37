"""Dispatch: units, their positions, and interventions from dispatch to outcome.

Every entry point (the REST API, the console's WebSocket, the police app and its socket, the
admin, the commands) goes through these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import MonitoringCentre, Role, User
from audit.models import Action
from audit.services import record
from common.errors import Conflict, IllegalTransition, InvalidInput, NotAllowed, RuleBroken
from dispatch.models import (
    ACTIVE_STATES,
    INTERVENTION_TRANSITIONS,
    Intervention,
    InterventionEvent,
    InterventionOutcome,
    State,
    Unit,
    UnitKind,
    UnitPosition,
    UnitStatus,
)
from dispatch.payloads import intervention_payload, unit_position_payload
from dispatch.realtime import tell_unit
from live.services import publish
from notifications import messages
from notifications.models import NotificationKind
from notifications.services import notify
from reporting.models import Report
from reporting.models import Status as ReportStatus
from reporting.services.triage import acknowledge_report, transition_report

# What the unit's own officers may do; operators may do every legal move.
POLICE_MOVES = frozenset({State.ACKNOWLEDGED, State.EN_ROUTE, State.ON_SCENE, State.RESOLVED})


class UnitBusy(Conflict):
    code = "unit_busy"
    message = "This unit is already on an intervention."


class UnitUnavailable(RuleBroken):
    code = "unit_unavailable"
    message = "This unit is off duty."


class ImplausiblePosition(RuleBroken):
    code = "implausible_position"


# --- units --------------------------------------------------------------------------------


@transaction.atomic
def create_unit(
    *, centre: MonitoringCentre, callsign: str, kind: str = UnitKind.CAR, members: list[User]
) -> Unit:
    callsign = callsign.strip()
    if not callsign or len(callsign) > 40:
        raise InvalidInput(fields={"callsign": ["1 to 40 characters"]})
    if kind not in UnitKind.values:
        raise InvalidInput(fields={"kind": UnitKind.values})
    strangers = [
        m.username for m in members if m.role != Role.POLICE or not m.centres.filter(pk=centre.pk)
    ]
    if strangers:
        raise RuleBroken(
            "Members must be police officers of this centre.",
            code="not_police_of_centre",
            fields={"members": strangers},
        )
    if Unit.objects.filter(centre=centre, callsign__iexact=callsign).exists():
        raise Conflict(f"Callsign {callsign} is taken in this centre.", code="duplicate_callsign")
    unit = Unit.objects.create(
        centre=centre, callsign=callsign, kind=kind, status=UnitStatus.AVAILABLE
    )
    unit.members.set(members)
    publish(centre, "unit.updated", unit_position_payload(unit))
    return unit


@transaction.atomic
def set_unit_status(unit: Unit, *, status: str) -> Unit:
    """On or off duty. A unit on an intervention stays busy until it ends."""
    if status not in (UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY):
        raise InvalidInput(fields={"status": ["available or off_duty"]})
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.interventions.filter(state__in=ACTIVE_STATES).exists():
        raise UnitBusy("This unit is on an intervention; end or reassign it first.")
    unit.status = status
    unit.save(update_fields=["status"])
    _unit_changed(unit)
    return unit


_CHECK_POSITION = """
SELECT
    ST_DWithin(c.jurisdiction::geography, p.point, %(outside)s),
    CASE WHEN u.last_location IS NULL THEN NULL ELSE ST_Distance(u.last_location, p.point) END
FROM dispatch_unit u
JOIN accounts_monitoringcentre c ON c.id = u.centre_id
CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS point) p
WHERE u.id = %(unit)s
"""


def _check_position(
    unit: Unit, location: Point, recorded_at: datetime, *, check_speed: bool
) -> None:
    """Refuse a fix far outside the centre's area, or one the unit could not have reached."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CHECK_POSITION,
            {
                "lon": location.x,
                "lat": location.y,
                "unit": unit.pk,
                "outside": settings.VIGIE_UNIT_MAX_OUTSIDE_M,
            },
        )
        near_area, moved_m = cursor.fetchone()
    if not near_area:
        raise ImplausiblePosition(
            "This position is far outside the centre's area.",
            fields={"location": ["far outside the centre's area"]},
        )
    if not check_speed or moved_m is None or unit.last_recorded_at is None:
        return
    seconds = (recorded_at - unit.last_recorded_at).total_seconds()
    # Two fixes a moment apart may differ by their own error; a few seconds are granted.
    speed_kmh = moved_m / max(seconds, 2.0) * 3.6
    if speed_kmh > settings.VIGIE_UNIT_MAX_SPEED_KMH:
        raise ImplausiblePosition(
            f"This position means {speed_kmh:.0f} km/h since the last one.",
            fields={"location": [f"{speed_kmh:.0f} km/h since the previous fix"]},
        )


@transaction.atomic
def record_position(
    unit: Unit,
    *,
    location: Point,
    recorded_at: datetime,
    accuracy_m: float | None,
    by: User,
) -> UnitPosition:
    """A fix from the unit's device. Kept in the history; the newest becomes the unit's
    position. The console is told in batches (`publish_unit_positions`), not per fix."""
    if not unit.members.filter(pk=by.pk).exists():
        raise NotAllowed("You are not a member of this unit.", code="not_your_unit")
    now = timezone.now()
    if recorded_at > now + timedelta(seconds=60):
        raise InvalidInput(fields={"recorded_at": ["in the future"]})
    if recorded_at < now - timedelta(hours=1):
        raise RuleBroken("This fix is more than an hour old.", code="stale_position")
    if accuracy_m is not None and accuracy_m > settings.VIGIE_MAX_ACCURACY_M:
        raise RuleBroken(
            f"A fix known to {accuracy_m:.0f} m is not kept (at most "
            f"{settings.VIGIE_MAX_ACCURACY_M} m).",
            code="accuracy_too_poor",
        )
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    newest = unit.last_recorded_at is None or recorded_at > unit.last_recorded_at
    # Every fix must be near the area; only the newest is checked against the last (speed).
    _check_position(unit, location, recorded_at, check_speed=newest)
    position = UnitPosition.objects.create(
        unit=unit, location=location, accuracy_m=accuracy_m, recorded_at=recorded_at, reported_by=by
    )
    if newest:  # a late fix (sent after a tunnel) joins the history, not the map
        unit.last_location, unit.last_accuracy_m = location, accuracy_m
        unit.last_recorded_at, unit.last_seen_at = recorded_at, now
        unit.save(
            update_fields=["last_location", "last_accuracy_m", "last_recorded_at", "last_seen_at"]
        )
    return position


def publish_unit_positions() -> int:
    """One `unit.position` event per centre with every unit that moved since the last one.

    Run by the beat every VIGIE_UNIT_POSITION_EVERY_S: a hundred units reporting every 5 s
    make one event per centre per period, not twenty a second. Overlapping runs are harmless
    (rows are claimed with skip-locked, then marked published).
    """
    with transaction.atomic():
        moved = list(
            Unit.objects.filter(last_seen_at__isnull=False)
            .filter(
                Q(position_published_at__isnull=True)
                | Q(position_published_at__lt=F("last_seen_at"))
            )
            .order_by("centre_id", "pk")
            .select_for_update(skip_locked=True)
        )
        if not moved:
            return 0
        # Marked with what was published (the rows are locked), not the clock: a fix that
        # waited for these locks carries a later last_seen_at and is published next time.
        Unit.objects.filter(pk__in=[unit.pk for unit in moved]).update(
            position_published_at=F("last_seen_at")
        )
        by_centre: dict[int, list[dict[str, Any]]] = {}
        for unit in moved:
            by_centre.setdefault(unit.centre_id, []).append(unit_position_payload(unit))
        for centre_id, units in by_centre.items():
            publish(centre_id, "unit.position", {"units": units})
    return len(moved)


# --- interventions ------------------------------------------------------------------------


def _event(
    intervention: Intervention, *, to: str, by: User, note: str = "", came_from: str = ""
) -> None:
    unit = intervention.unit
    InterventionEvent.objects.create(
        intervention=intervention,
        from_state=came_from,
        to_state=to,
        unit=unit,
        by=by,
        at=timezone.now(),
        unit_location=unit.last_location,
        note=note,
    )


def _record_change(
    intervention: Intervention, report: Report, *, by: User, change: str, **detail: Any
) -> None:
    """Who moved which intervention, in the move's own transaction (the access trail). The
    report's reference is the label, so a search by reference finds its interventions."""
    record(
        actor=by,
        action=Action.CHANGE,
        target_type="intervention",
        target_id=intervention.pk,
        target_label=report.reference,
        centre_id=intervention.centre_id,
        detail={"change": change, "unit": intervention.unit.callsign, **detail},
    )


def _announce(intervention: Intervention) -> None:
    payload = intervention_payload(intervention)
    publish(intervention.centre_id, "intervention.updated", payload)
    if intervention.state == State.PROPOSED:
        return  # a proposal is the centre's business until it is confirmed
    unit_id = intervention.unit_id
    transaction.on_commit(
        lambda: tell_unit(unit_id, {"type": "intervention.updated", "data": payload})
    )


def _set_unit_status(unit: Unit, status: str) -> None:
    if unit.status != status:
        unit.status = status
        unit.save(update_fields=["status"])
        _unit_changed(unit)


def _unit_changed(unit: Unit) -> None:
    """The centre's consoles and the unit's own apps see its new status."""
    payload = unit_position_payload(unit)
    publish(unit.centre_id, "unit.updated", payload)
    transaction.on_commit(lambda: tell_unit(unit.pk, {"type": "unit.updated", "data": payload}))


def _tell_crew(intervention: Intervention) -> None:
    """The unit's officers get the dispatch as a high-priority push the police app opens."""
    report = Report.objects.select_related("category").get(pk=intervention.report_id)
    notify(
        intervention.unit.members.all(),
        kind=NotificationKind.DISPATCH,
        texts=messages.dispatch(
            report.reference,
            report.category.label_fr,
            report.category.label_en,
            intervention.unit.callsign,
        ),
        data={
            "type": "dispatch",
            "intervention": intervention.pk,
            "report": report.pk,
            "reference": report.reference,
            "priority": report.priority,
        },
        high_priority=True,
    )


def _follow_report(report: Report, *, operator: User) -> None:
    """The report shows the intervention's progress: dispatched while one is live."""
    if report.status == ReportStatus.NEW:
        report = acknowledge_report(report, operator=operator)
    if report.status == ReportStatus.ACKNOWLEDGED:
        transition_report(report, to=ReportStatus.DISPATCHED)


@transaction.atomic
def dispatch_unit(
    report: Report, *, unit: Unit, operator: User, propose: bool = False, note: str = ""
) -> Intervention:
    """Send a unit to a report (or only propose it, for a supervisor to confirm)."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.centre_id != report.centre_id:
        raise RuleBroken("This unit belongs to another centre.", code="other_centre")
    if report.status not in (ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.DISPATCHED):
        raise IllegalTransition(f"Report {report.reference} is {report.status}.")
    if unit.status == UnitStatus.OFF_DUTY:
        raise UnitUnavailable()
    state = State.PROPOSED if propose else State.DISPATCHED
    try:
        with transaction.atomic():
            intervention = Intervention.objects.create(
                report=report,
                unit=unit,
                centre_id=report.centre_id,
                state=state,
                note=note,
                created_by=operator,
            )
    except IntegrityError:
        raise UnitBusy() from None
    _event(intervention, to=state, by=operator, note=note)
    _record_change(intervention, report, by=operator, change="propose" if propose else "dispatch")
    if not propose:
        _set_unit_status(unit, UnitStatus.BUSY)
        _follow_report(report, operator=operator)
        _tell_crew(intervention)
    _announce(intervention)
    return intervention


def _check_move(intervention: Intervention, to: str, by: User) -> None:
    if to not in INTERVENTION_TRANSITIONS.get(intervention.state, frozenset()):
        raise IllegalTransition(
            f"The intervention is {intervention.state}; it cannot become {to}.",
            fields={"state": [intervention.state]},
        )
    if by.role == Role.POLICE and to not in POLICE_MOVES:
        raise NotAllowed("Only the centre can do this.", code="operators_only")


@transaction.atomic
def transition_intervention(
    intervention: Intervention, *, to: str, by: User, outcome: str = "", note: str = ""
) -> Intervention:
    """Move an intervention one step; the report and the unit follow.

    Call with any copy: the row is locked and re-read here, so two officers tapping at once
    make one move and the other gets a 409.
    """
    intervention = (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=intervention.pk)
    )
    if to not in State.values:
        raise InvalidInput(fields={"to": [v for v in State.values if v != State.PROPOSED]})
    _check_move(intervention, to, by)
    if to == State.RESOLVED and outcome not in InterventionOutcome.values:
        raise InvalidInput(
            "Resolving needs an outcome.", fields={"outcome": InterventionOutcome.values}
        )
    came_from = intervention.state
    intervention.state = to
    fields = ["state", "updated_at"]
    if to == State.RESOLVED:
        intervention.outcome = outcome
        fields.append("outcome")
    if note:
        intervention.note = note
        fields.append("note")
    intervention.save(update_fields=fields)
    _event(intervention, to=to, by=by, note=note, came_from=came_from)
    report = Report.objects.select_for_update().get(pk=intervention.report_id)
    _record_change(
        intervention,
        report,
        by=by,
        change="cancel" if to == State.CANCELLED else "transition",
        **{"from": came_from, "to": to, **({"outcome": outcome} if outcome else {})},
    )
    unit = Unit.objects.select_for_update().get(pk=intervention.unit_id)
    if to == State.DISPATCHED:
        _set_unit_status(unit, UnitStatus.BUSY)
        _follow_report(report, operator=by)
        _tell_crew(intervention)
    elif to in (State.RESOLVED, State.CANCELLED):
        if came_from != State.PROPOSED:
            _set_unit_status(unit, UnitStatus.AVAILABLE)
        others = report.interventions.filter(state__in=ACTIVE_STATES).exclude(pk=intervention.pk)
        if report.status == ReportStatus.DISPATCHED and not others.exists():
            # Resolved by any unit stays resolved when another is called off afterwards.
            resolved = (
                to == State.RESOLVED or report.interventions.filter(state=State.RESOLVED).exists()
            )
            done = ReportStatus.RESOLVED if resolved else ReportStatus.ACKNOWLEDGED
            transition_report(report, to=done)
    _announce(intervention)
    return intervention


@transaction.atomic
def reassign_intervention(
    intervention: Intervention, *, unit: Unit, operator: User
) -> Intervention:
    """Give a live intervention to another unit: it starts again at dispatched."""
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.state not in ACTIVE_STATES:
        raise IllegalTransition(f"The intervention is {intervention.state}.")
    if intervention.unit_id == unit.pk:
        raise RuleBroken("The intervention is already with this unit.", code="same_unit")
    # Locks in one order everywhere (intervention, report, units by id), so a reassignment and
    # a transition or a dispatch meeting on the same rows wait for each other, never deadlock.
    report = Report.objects.select_for_update().get(pk=intervention.report_id)
    units = Unit.objects.select_for_update().filter(pk__in=[intervention.unit_id, unit.pk])
    locked = {u.pk: u for u in units.order_by("pk")}
    old, new = locked[intervention.unit_id], locked[unit.pk]
    if new.centre_id != intervention.centre_id:
        raise RuleBroken("This unit belongs to another centre.", code="other_centre")
    if new.status == UnitStatus.OFF_DUTY:
        raise UnitUnavailable()
    came_from = intervention.state
    intervention.unit, intervention.state = new, State.DISPATCHED
    try:
        with transaction.atomic():
            intervention.save(update_fields=["unit", "state", "updated_at"])
    except IntegrityError:
        raise UnitBusy() from None
    _event(
        intervention,
        to=State.DISPATCHED,
        by=operator,
        came_from=came_from,
        note=f"Reassigned from {old.callsign} to {new.callsign}.",
    )
    _record_change(intervention, report, by=operator, change="reassign", from_unit=old.callsign)
    if came_from != State.PROPOSED:
        _set_unit_status(old, UnitStatus.AVAILABLE)
    _set_unit_status(new, UnitStatus.BUSY)
    _follow_report(Report.objects.get(pk=intervention.report_id), operator=operator)
    _tell_crew(intervention)
    _announce(intervention)
    withdrawn = {"type": "intervention.withdrawn", "data": {"intervention": intervention.pk}}
    transaction.on_commit(lambda: tell_unit(old.pk, withdrawn))
    return intervention
