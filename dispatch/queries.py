"""Read side of dispatch, scoped by who asks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from common.errors import NotFound
from dispatch.models import ACTIVE_STATES, Intervention, InterventionEvent, Unit, UnitStatus
from reporting.models import Report


def units_visible_to(user: User) -> QuerySet[Unit]:
    """Staff see the units of the centres they serve; police see only their own units."""
    if user.is_superuser:
        return Unit.objects.all()
    if user.role == Role.POLICE:
        return Unit.objects.filter(members=user)
    return Unit.objects.filter(centre__in=user.centres.values("pk"))


def unit_for_user(user: User, unit_id: int) -> Unit:
    unit = units_visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("No such unit.")
    return unit


def interventions_visible_to(user: User) -> QuerySet[Intervention]:
    """Operators: their centres'; police: their units' (never another centre's dispatch)."""
    interventions = Intervention.objects.select_related("unit").prefetch_related(
        Prefetch(
            "events",
            queryset=InterventionEvent.objects.select_related("by", "unit").order_by("at", "pk"),
        )
    )
    if user.is_superuser:
        return interventions
    if user.role == Role.POLICE:
        return interventions.filter(unit__members=user)
    return interventions.filter(centre__in=user.centres.values("pk"))


def intervention_for_user(user: User, intervention_id: int) -> Intervention:
    intervention = interventions_visible_to(user).filter(pk=intervention_id).first()
    if intervention is None:
        raise NotFound("No such intervention.")
    return intervention


def current_interventions_of(user: User) -> QuerySet[Intervention]:
    """A police officer's live dispatches, newest first (their app shows the first)."""
    return (
        interventions_visible_to(user)
        .filter(state__in=ACTIVE_STATES)
        .exclude(state="proposed")
        .order_by("-created_at")
    )


def suggested_units(report: Report) -> QuerySet[Unit]:
    """Available units of the report's centre with a recent fix, nearest first (PostGIS KNN),
    each with `distance`; fixes taken more than VIGIE_UNIT_FIX_MAX_AGE_S ago do not count, nor
    units held by a proposal."""
    fresh_since = timezone.now() - timedelta(seconds=settings.VIGIE_UNIT_FIX_MAX_AGE_S)
    return (
        Unit.objects.filter(
            centre_id=report.centre_id,
            status=UnitStatus.AVAILABLE,
            last_location__isnull=False,
            # Fresh by when it was taken, not when it arrived (a phone out of coverage).
            last_recorded_at__gte=fresh_since,
        )
        .exclude(interventions__state__in=ACTIVE_STATES)  # held by a proposal
        .annotate(distance=Distance("last_location", report.location))
        .order_by(GeometryDistance("last_location", report.location), "pk")
    )
