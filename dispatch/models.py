"""Police units, where they are, and the interventions they are sent on.

An intervention's life is a state machine kept as data (`INTERVENTION_TRANSITIONS`); every
move is an `InterventionEvent` row saying who, when, and where the unit was.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models

from accounts.models import MonitoringCentre


class UnitKind(models.TextChoices):
    CAR = "car", "Car"
    MOTORBIKE = "motorbike", "Motorbike"
    FOOT = "foot", "Foot patrol"
    BIKE = "bike", "Bicycle"
    CCTV_PATROL = "cctv_patrol", "CCTV patrol"


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    OFF_DUTY = "off_duty", "Off duty"


class Unit(models.Model):
    callsign = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=UnitKind.choices, default=UnitKind.CAR)
    centre = models.ForeignKey(MonitoringCentre, on_delete=models.PROTECT, related_name="units")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="units", blank=True)
    status = models.CharField(
        max_length=10, choices=UnitStatus.choices, default=UnitStatus.OFF_DUTY
    )
    last_location = models.PointField(geography=True, srid=4326, null=True, blank=True)
    last_accuracy_m = models.FloatField(null=True, blank=True)
    last_recorded_at = models.DateTimeField(null=True, blank=True, help_text="by the unit's clock")
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="by ours")
    # When the console was last told where the unit is: positions are coalesced.
    position_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["centre", "callsign"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "callsign"], name="callsign_once_per_centre")
        ]
        indexes = [
            models.Index(fields=["status"], name="unit_status"),
        ]
        permissions = [("manage_unit", "Can create units and set their members")]

    def __str__(self) -> str:
        return self.callsign


class UnitPosition(models.Model):
    """Where a unit was: kept as long as the retention policy allows (issue 9)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="positions")
    location = models.PointField(geography=True, srid=4326)
    accuracy_m = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["unit", "-recorded_at"]
        indexes = [models.Index(fields=["unit", "-recorded_at"], name="position_latest")]


class State(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DISPATCHED = "dispatched", "Dispatched"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the unit"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATES = frozenset({State.RESOLVED, State.CANCELLED})
ACTIVE_STATES = frozenset(set(State.values) - FINAL_STATES)

INTERVENTION_TRANSITIONS: dict[str, frozenset[str]] = {
    State.PROPOSED: frozenset({State.DISPATCHED, State.CANCELLED}),
    State.DISPATCHED: frozenset({State.ACKNOWLEDGED, State.CANCELLED}),
    State.ACKNOWLEDGED: frozenset({State.EN_ROUTE, State.CANCELLED}),
    State.EN_ROUTE: frozenset({State.ON_SCENE, State.CANCELLED}),
    State.ON_SCENE: frozenset({State.RESOLVED, State.CANCELLED}),
    State.RESOLVED: frozenset(),
    State.CANCELLED: frozenset(),
}


class InterventionOutcome(models.TextChoices):
    ARREST = "arrest", "Arrest"
    TICKET = "ticket", "Ticket (verbalisation)"
    WARNING = "warning", "Warning"
    NO_OFFENCE = "no_offence", "No offence found"
    FALSE_ALARM = "false_alarm", "False alarm"
    HANDED_OVER = "handed_over", "Handed over to the national police"
    OTHER = "other", "Other"


class Intervention(models.Model):
    report = models.ForeignKey(
        "reporting.Report", on_delete=models.CASCADE, related_name="interventions"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="interventions")
    centre = models.ForeignKey(
        MonitoringCentre, on_delete=models.PROTECT, related_name="interventions"
    )
    state = models.CharField(max_length=20, choices=State.choices)
    outcome = models.CharField(max_length=20, choices=InterventionOutcome.choices, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("dispatch_unit", "Can dispatch units and move interventions")]
        constraints = [
            # One unit is on one live intervention at a time.
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(state__in=sorted(ACTIVE_STATES)),
                name="one_active_intervention_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} → report {self.report_id} ({self.state})"


class InterventionEvent(models.Model):
    """One move of an intervention: who, when, and where the unit was."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    unit_location = models.PointField(geography=True, srid=4326, null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["intervention", "at", "pk"]
