"""Reading the event log: what a console missed, and where each centre stands."""

from __future__ import annotations

from django.db.models import Max

from accounts.models import TRIAGE_ROLES, MonitoringCentre, User
from live.models import Event

REPLAY_BATCH = 500


def console_centre_ids(user: User) -> list[int]:
    """The centres whose consoles this person may watch (operators and supervisors)."""
    if user.is_superuser:
        return list(MonitoringCentre.objects.order_by("pk").values_list("pk", flat=True))
    if user.role not in TRIAGE_ROLES:
        return []
    return list(user.centres.order_by("pk").values_list("pk", flat=True))


def latest_seqs(centre_ids: list[int]) -> dict[int, int]:
    """The last `seq` of each centre (0 for a centre with no event yet)."""
    found = dict(
        Event.objects.filter(centre_id__in=centre_ids)
        .values_list("centre_id")
        .annotate(last=Max("seq"))
        .values_list("centre_id", "last")
    )
    return {centre_id: found.get(centre_id, 0) for centre_id in centre_ids}


def events_after(centre_id: int, seq: int, *, until: int | None = None) -> list[Event]:
    """A centre's events after `seq` (and up to `until`), in order, at most one batch."""
    events = Event.objects.filter(centre_id=centre_id, seq__gt=seq)
    if until is not None:
        events = events.filter(seq__lte=until)
    return list(events.order_by("seq")[:REPLAY_BATCH])
