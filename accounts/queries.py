"""Read-side questions about accounts and centres, scoped by who asks."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import Area, PointOnSurface
from django.contrib.gis.geos import Point
from django.db.models import QuerySet

from accounts.models import PUBLIC_ROLES, MonitoringCentre, User
from common.errors import InvalidInput, NotFound


def centre_covering(point: Point) -> MonitoringCentre | None:
    """The centre whose jurisdiction covers the point; where two overlap, the smaller one
    (a transport operator's network inside a city answers for its own stations)."""
    return (
        MonitoringCentre.objects.filter(jurisdiction__covers=point)
        .annotate(area=Area("jurisdiction"))
        .order_by("area", "pk")
        .first()
    )


def point_inside(centre: MonitoringCentre) -> Point:
    """A point guaranteed to lie inside the centre's jurisdiction (not merely its centroid)."""
    return (
        MonitoringCentre.objects.filter(pk=centre.pk)
        .annotate(inside=PointOnSurface("jurisdiction"))
        .values_list("inside", flat=True)
        .get()
    )


def served_centre_ids(user: User) -> list[int]:
    return list(user.centres.values_list("pk", flat=True))


def members_vettable_by(user: User) -> QuerySet[User]:
    """Residents and businesses belonging to a centre this vetting officer serves."""
    members = User.objects.filter(role__in=PUBLIC_ROLES)
    if user.is_superuser:
        return members
    return members.filter(centres__in=user.centres.all()).distinct()


def member_for_user(user: User, member_id: int, *, lock: bool = False) -> User:
    """The member this user may vet, or the contract's 404 whether or not the id exists."""
    members = members_vettable_by(user)
    if lock:
        members = User.objects.select_for_update().filter(pk__in=members.values("pk"))
    member = members.filter(pk=member_id).first()
    if member is None:
        raise NotFound("No such resident in the centres you serve.")
    return member


def choose_centre(centres: QuerySet[MonitoringCentre], centre_id: int | None) -> MonitoringCentre:
    """The centre a request acts for: the one named among `centres` (404 otherwise), or the
    only one of them when none is named (400 when there are several)."""
    if centre_id is not None:
        centre = centres.filter(pk=centre_id).first()
        if centre is None:
            raise NotFound("No such centre among those you serve.")
        return centre
    served = list(centres[:2])
    if len(served) != 1:
        raise InvalidInput(fields={"centre": ["say which centre (you serve several)"]})
    return served[0]
