"""Reading the access trail, scoped by who asks (STYLE.md rule 8).

`audit` sits below `accounts` (ARCHITECTURE.md, "Imports point one way"), so the role is
named here by its value rather than imported.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from audit.models import AccessRecord

# accounts.models.Role.SUPERVISOR: the role that answers for a centre's staff.
SUPERVISOR = "supervisor"


def served_centre_ids(user: Any) -> list[int]:
    """The centres this person serves (none for the anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(user.centres.order_by("pk").values_list("pk", flat=True))


def records_visible_to(user: Any) -> QuerySet[AccessRecord]:
    """The trail a person may read: platform administrators all of it; supervisors the records
    of the centres they serve, and their own actions (their own searches of the trail, their
    sign-ins); nobody else anything."""
    records = AccessRecord.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return records.none()
    if user.is_superuser:
        return records
    if getattr(user, "role", "") != SUPERVISOR:
        return records.none()
    return records.filter(Q(centre_id__in=served_centre_ids(user)) | Q(actor_id=user.pk))
