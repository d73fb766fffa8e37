"""What operators do with a report: acknowledge, merge into an incident, close."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import Action
from audit.services import record
from common.errors import IllegalTransition, RuleBroken
from live.services import publish
from notifications import messages
from notifications.models import NotificationKind
from notifications.services import notify
from reporting.models import (
    ALERT_SOURCES,
    PRIORITY_RANK,
    REPORT_TRANSITIONS,
    Category,
    Incident,
    Outcome,
    Report,
    Status,
)
from reporting.payloads import report_payload


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def _move(report: Report, to: str) -> None:
    """Check the state machine; the caller holds the row lock and saves."""
    if to not in REPORT_TRANSITIONS[report.status]:
        raise IllegalTransition(
            f"Report {report.reference} is {report.status}; it cannot become {to}.",
            fields={"status": [report.status]},
        )
    report.status = to


def _record_change(report: Report, *, by: User | None, change: str, **detail: object) -> None:
    """Who changed which report, in the change's own transaction (the access trail). `by` None:
    not a member of staff (the sender calling an alert off, the duress rule)."""
    record(
        actor=by,
        action=Action.CHANGE,
        target_type="report",
        target_id=report.pk,
        target_label=report.reference,
        centre_id=report.centre_id,
        detail={"change": change, **detail},
    )


def _announce(report: Report) -> None:
    publish(report.centre_id, "report.updated", report_payload(report))


def _tell_author(report: Report) -> None:
    """The person who raised the report hears of its progress (push, through the outbox)."""
    if report.author is None:
        return
    texts = messages.report_status(
        report.reference, report.status, alert=report.source in ALERT_SOURCES
    )
    if texts is None:
        return
    notify(
        [report.author],
        kind=NotificationKind.HELP_COMING
        if report.source in ALERT_SOURCES
        else NotificationKind.REPORT_STATUS,
        texts=texts,
        data={
            "type": "report.status",
            "report": report.pk,
            "reference": report.reference,
            "status": report.status,
        },
        high_priority=report.source in ALERT_SOURCES,
    )


@transaction.atomic
def acknowledge_report(report: Report, *, operator: User) -> Report:
    """An operator takes the report: the centre sees who has it and since when."""
    report = _locked(report)
    _move(report, Status.ACKNOWLEDGED)
    report.acknowledged_by, report.acknowledged_at = operator, timezone.now()
    report.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
    _record_change(report, by=operator, change="acknowledge")
    _announce(report)
    _tell_author(report)
    return report


@transaction.atomic
def transition_report(report: Report, *, to: str) -> Report:
    """Follow the intervention: dispatched, back to acknowledged, resolved (dispatch calls
    this). Not recorded in the access trail here: the intervention's change that causes it
    is, with who made it (dispatch.services)."""
    report = _locked(report)
    _move(report, to)
    report.save(update_fields=["status", "updated_at"])
    _announce(report)
    _tell_author(report)
    return report


@transaction.atomic
def close_report(report: Report, *, operator: User | None, outcome: str, note: str = "") -> Report:
    """Close with an outcome; `operator` None means the sender called it off (alerts)."""
    report = _locked(report)
    if outcome not in Outcome.values:
        raise RuleBroken(f"Unknown outcome {outcome!r}.", fields={"outcome": Outcome.values})
    _move(report, Status.CLOSED)
    report.closed_by, report.closed_at = operator, timezone.now()
    report.outcome, report.closing_note = outcome, note
    fields = ["status", "closed_by", "closed_at", "outcome", "closing_note", "updated_at"]
    report.save(update_fields=fields)
    _record_change(report, by=operator, change="close", outcome=outcome, by_sender=operator is None)
    _announce(report)
    if operator is not None:  # not when the sender called it off themselves
        _tell_author(report)
    return report


@transaction.atomic
def reclassify_report(
    report: Report, *, category: Category, note: str, detach_author: bool = False
) -> Report:
    """Give the report another category (and its priority, if higher), with a note saying
    why prepended to the description. `detach_author` hides it from the sender's own views:
    the duress case, where someone may be watching the sender's screen."""
    report = _locked(report)
    report.category = category
    if PRIORITY_RANK[category.default_priority] < PRIORITY_RANK[report.priority]:
        report.priority = category.default_priority
    report.description = f"{note}\n{report.description}".strip()
    fields = ["category", "priority", "description", "updated_at"]
    if detach_author:
        report.author = None
        fields.append("author")
    report.save(update_fields=fields)
    _record_change(
        report,
        by=None,
        change="reclassify",
        category=category.code,
        detach_author=detach_author,
    )
    _announce(report)
    return report


@transaction.atomic
def merge_reports(report: Report, *, into: Report, operator: User) -> Incident:
    """Put both reports (and any incident either belongs to) into one incident."""
    if report.pk == into.pk:
        raise RuleBroken("A report cannot be merged into itself.", code="merge_into_self")
    # Lock in id order, so two operators merging the same pair both ways cannot deadlock.
    first, second = sorted([report.pk, into.pk])
    rows = {r.pk: r for r in Report.objects.select_for_update().filter(pk__in=[first, second])}
    report, into = rows[report.pk], rows[into.pk]
    if report.centre_id != into.centre_id:
        raise RuleBroken("Only reports of one centre can be merged.", code="other_centre")
    incident = into.incident or report.incident
    if incident is None:
        incident = Incident.objects.create(centre_id=into.centre_id, created_by=operator)
    absorbed = {i for i in (report.incident_id, into.incident_id) if i and i != incident.pk}
    members = Report.objects.filter(pk__in=[report.pk, into.pk]) | Report.objects.filter(
        incident_id__in=absorbed
    )
    members.update(incident=incident, updated_at=timezone.now())
    Incident.objects.filter(pk__in=absorbed).delete()
    references = list(
        Report.objects.filter(incident=incident).order_by("pk").values("id", "reference")
    )
    for merged, other in ((report, into), (into, report)):
        _record_change(
            merged, by=operator, change="merge", incident=incident.pk, other=other.reference
        )
    publish(
        incident.centre_id,
        "incident.updated",
        {"incident": incident.pk, "reports": references, "merged_by": operator.username},
    )
    return incident
