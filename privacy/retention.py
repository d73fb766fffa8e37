"""The retention purge (issue 9): nothing personal is kept longer than its centre says.

For each centre, everything older than `MonitoringCentre.retention_days` (at most 30) goes:
reports not on legal hold with all that hangs off them (attachments and their files, camera
links, interventions and their moves, alert rows, shares; PTZ orders lose their link), the
incidents this leaves empty, live events, PTZ orders (but those of a held report), unit
positions, the notifications (and push messages) of the centre's people, broadcasts and
refused device requests. Then what belongs to no centre: notifications of people who serve
none, refused requests from unknown devices (both after `VIGIE_RETENTION_DAYS`) and idempotency
records past their 24 h window (they hold the answers, hence personal data). Each report
leaves one anonymous `ReportStatistic` row.

Work goes in batches of `BATCH` rows, one transaction each, so the console never waits long on
a lock; reports being handled right now are skipped (SKIP LOCKED) until the next scan. Files
are deleted only after their rows are committed: a rollback never leaves a row without its
file. Deletes are set-based (`DELETE … WHERE id IN (batch)`), cascaded by Django's collector,
so a new table hanging off `Report` is purged with it without a change here.

A dry run counts the same sets with the same cascade and deletes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import MonitoringCentre
from alerts.models import RefusedDeviceRequest
from audit.models import Action
from audit.services import record
from cameras.models import PtzCommand
from common.models import IdempotencyRecord
from dispatch.models import InterventionEvent, State, UnitPosition
from live.models import Event
from notifications.models import Broadcast, Notification
from privacy.models import ReportStatistic
from reporting.models import Attachment, Incident, Report

log = logging.getLogger(__name__)

BATCH = 500

# Django's model labels, as `QuerySet.delete()` counts them, in the words of the report.
KIND_OF_LABEL = {
    "reporting.Report": "reports",
    "reporting.Attachment": "attachments",
    "reporting.ReportShare": "shares",
    "reporting.Incident": "incidents",
    "cameras.CameraLink": "camera_links",
    "cameras.PtzCommand": "ptz_commands",
    "dispatch.Intervention": "interventions",
    "dispatch.InterventionEvent": "intervention_events",
    "alerts.Alert": "alerts",
    "live.Event": "events",
    "dispatch.UnitPosition": "unit_positions",
    "notifications.Notification": "notifications",
    "notifications.PushMessage": "push_messages",
    "notifications.Broadcast": "broadcasts",
    "alerts.RefusedDeviceRequest": "refused_device_requests",
    "common.IdempotencyRecord": "idempotency_records",
}


def _kind(label: str) -> str:
    return KIND_OF_LABEL.get(label, label.replace(".", "_").lower())


@dataclass
class Tally:
    """What went (or would go) for one centre, or for what belongs to none."""

    name: str
    cutoff: datetime
    retention_days: int | None = None
    counts: Counter = field(default_factory=Counter)

    def add(self, by_label: dict[str, int]) -> None:
        for label, number in by_label.items():
            if number:
                self.counts[_kind(label)] += number

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cutoff": self.cutoff.isoformat()}
        if self.retention_days is not None:
            out["retention_days"] = self.retention_days
        out.update(sorted((kind, n) for kind, n in self.counts.items() if n))
        return out


def purge_expired(
    *, dry_run: bool = False, centres: QuerySet[MonitoringCentre] | None = None
) -> dict[str, Any]:
    """Purge (or, with `dry_run`, count) everything past retention. `centres` limits the run to
    those centres and skips what belongs to no centre. Safe to run twice, or twice at once."""
    now = timezone.now()
    only_some = centres is not None
    centres = MonitoringCentre.objects.all() if centres is None else centres
    tallies = [_purge_centre(centre, now=now, dry_run=dry_run) for centre in centres.order_by("pk")]
    result: dict[str, Any] = {
        "dry_run": dry_run,
        "centres": {tally.name: tally.as_dict() for tally in tallies},
    }
    if not only_some:
        unowned = _purge_unowned(now=now, dry_run=dry_run)
        tallies.append(unowned)
        result["unowned"] = unowned.as_dict()
    total: Counter = Counter()
    for tally in tallies:
        total.update(tally.counts)
    result["total"] = dict(sorted((kind, n) for kind, n in total.items() if n))
    return result


# --- one centre ---------------------------------------------------------------------------------


def _expired_reports(centre: MonitoringCentre, cutoff: datetime) -> QuerySet[Report]:
    return Report.objects.filter(centre=centre, created_at__lt=cutoff, legal_hold_at__isnull=True)


def _centre_sets(centre: MonitoringCentre, cutoff: datetime, now: datetime) -> list[QuerySet]:
    """What else of the centre's goes, besides its reports: rows nobody keeps on hold."""
    return [
        Event.objects.filter(centre=centre, created_at__lt=cutoff),
        # A pointing order holds where something happened, and when: it goes too (those of a
        # held report lose only their link when the report itself goes, never before).
        PtzCommand.objects.filter(camera__centre=centre, created_at__lt=cutoff).exclude(
            report__legal_hold_at__isnull=False
        ),
        UnitPosition.objects.filter(unit__centre=centre, received_at__lt=cutoff),
        # The notifications of anyone serving (or living in) the centre: someone of two
        # centres keeps theirs as long as the shorter of the two allows.
        Notification.objects.filter(recipient__centres=centre, created_at__lt=cutoff),
        # A broadcast still showing (it expires later) stays until it has expired.
        Broadcast.objects.filter(centre=centre, created_at__lt=cutoff, expires_at__lt=now),
        RefusedDeviceRequest.objects.filter(device__centre=centre, at__lt=cutoff),
    ]


def _purge_centre(centre: MonitoringCentre, *, now: datetime, dry_run: bool) -> Tally:
    cutoff = now - timedelta(days=centre.retention_days)
    tally = Tally(name=centre.slug, cutoff=cutoff, retention_days=centre.retention_days)
    expired = _expired_reports(centre, cutoff)
    if dry_run:
        tally.add(_cascade_counts(expired))
        tally.counts["statistics"] += tally.counts["reports"]
        tally.counts["files"] += (
            Attachment.objects.filter(report__in=expired.values("pk")).exclude(file="").count()
        )
        tally.add(_cascade_counts(_incidents_left_empty(centre, expired)))
        for rows in _centre_sets(centre, cutoff, now):
            tally.add(_cascade_counts(rows))
        return tally
    while _purge_report_batch(centre, cutoff, tally):
        pass
    # Merged reports that all went leave their incident empty: nothing to keep it for.
    _delete_in_batches(Incident.objects.filter(centre=centre, reports__isnull=True), tally)
    for rows in _centre_sets(centre, cutoff, now):
        _delete_in_batches(rows, tally)
    if +tally.counts:  # only what went; a run that found nothing leaves no trail
        with transaction.atomic():
            record(
                actor=None,
                username="retention",
                action=Action.CHANGE,
                target_type="retention",
                target_label=centre.slug,
                centre_id=centre.pk,
                detail={"purged": dict(+tally.counts), "cutoff": cutoff.isoformat()},
            )
    return tally


def _incidents_left_empty(centre: MonitoringCentre, expired: QuerySet[Report]) -> QuerySet:
    staying = Report.objects.filter(centre=centre, incident__isnull=False).exclude(
        pk__in=expired.values("pk")
    )
    return Incident.objects.filter(centre=centre).exclude(pk__in=staying.values("incident_id"))


def _purge_report_batch(centre: MonitoringCentre, cutoff: datetime, tally: Tally) -> bool:
    """Statistics, then the rows, for up to BATCH expired reports; False when none is left."""
    with transaction.atomic():
        batch = list(
            _expired_reports(centre, cutoff)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            return False
        ReportStatistic.objects.bulk_create(_statistics(batch))
        files = [
            name
            for name in Attachment.objects.filter(report_id__in=batch).values_list(
                "file", flat=True
            )
            if name
        ]
        _, by_label = Report.objects.filter(pk__in=batch).delete()
        tally.add(by_label)
        tally.counts["statistics"] += len(batch)
        tally.counts["files"] += len(files)
        transaction.on_commit(lambda: _delete_files(files))
    return True


def _first_move(state: str) -> Subquery:
    return Subquery(
        InterventionEvent.objects.filter(intervention__report=OuterRef("pk"), to_state=state)
        .order_by("at")
        .values("at")[:1]
    )


def _statistics(batch: list[int]) -> list[ReportStatistic]:
    """One anonymous row per report, read in one query."""
    rows = (
        Report.objects.filter(pk__in=batch)
        .annotate(
            day=TruncDate("created_at", tzinfo=ZoneInfo(settings.TIME_ZONE)),
            category_code=F("category__code"),
            dispatched_at=_first_move(State.DISPATCHED),
            on_scene_at=_first_move(State.ON_SCENE),
            resolved_at=_first_move(State.RESOLVED),
        )
        .values(
            "centre_id",
            "day",
            "category_code",
            "source",
            "priority",
            "outcome",
            "created_at",
            "acknowledged_at",
            "dispatched_at",
            "on_scene_at",
            "resolved_at",
            "closed_at",
        )
    )

    def seconds(start: datetime, end: datetime | None) -> int | None:
        return None if end is None else max(int((end - start).total_seconds()), 0)

    return [
        ReportStatistic(
            centre_id=row["centre_id"],
            day=row["day"],
            category=row["category_code"],
            source=row["source"],
            priority=row["priority"],
            outcome=row["outcome"],
            seconds_to_acknowledged=seconds(row["created_at"], row["acknowledged_at"]),
            seconds_to_dispatched=seconds(row["created_at"], row["dispatched_at"]),
            seconds_to_on_scene=seconds(row["created_at"], row["on_scene_at"]),
            seconds_to_resolved=seconds(row["created_at"], row["resolved_at"]),
            seconds_to_closed=seconds(row["created_at"], row["closed_at"]),
        )
        for row in rows
    ]


def _delete_files(names: list[str]) -> None:
    """After commit: the rows are gone for good, so are their files."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # one unreadable file must not keep the others
            log.exception("retention: could not delete file %s; delete it by hand", name)


# --- what belongs to no centre ------------------------------------------------------------------


def _purge_unowned(*, now: datetime, dry_run: bool) -> Tally:
    cutoff = now - timedelta(days=settings.VIGIE_RETENTION_DAYS)
    tally = Tally(name="unowned", cutoff=cutoff)
    sets = [
        Notification.objects.filter(recipient__centres__isnull=True, created_at__lt=cutoff),
        RefusedDeviceRequest.objects.filter(device__isnull=True, at__lt=cutoff),
        IdempotencyRecord.objects.filter(created_at__lt=now - settings.IDEMPOTENCY_WINDOW),
    ]
    for rows in sets:
        if dry_run:
            tally.add(_cascade_counts(rows))
        else:
            _delete_in_batches(rows, tally)
    return tally


# --- helpers ------------------------------------------------------------------------------------


def _delete_in_batches(rows: QuerySet, tally: Tally) -> None:
    model = rows.model
    while True:
        with transaction.atomic():
            batch = list(rows.order_by("pk").values_list("pk", flat=True)[: BATCH * 10])
            if not batch:
                return
            _, by_label = model._base_manager.filter(pk__in=batch).delete()
            tally.add(by_label)


def _cascade_counts(rows: QuerySet) -> dict[str, int]:
    """How many rows `rows.delete()` would remove, model by model, following CASCADE as
    Django's collector does (PROTECT and SET_NULL remove nothing)."""
    counts: Counter = Counter()
    number = rows.count()
    if not number:
        return counts
    counts[rows.model._meta.label] += number
    for relation in rows.model._meta.get_fields(include_hidden=True):
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_one or relation.one_to_many)
            and relation.on_delete is models.CASCADE
        ):
            continue
        children = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": rows.values("pk")}
        )
        counts.update(_cascade_counts(children))
    return counts
