"""Critical reports nobody has taken: raised to the supervisors, once.

A periodic scan of the database (STYLE.md rule 6) rather than a countdown task per report:
a Redis broker redelivers or loses far-future tasks, while the table always knows what is
overdue. Each report is claimed by a conditional UPDATE, so two overlapping scans (two beats,
a slow worker) raise it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User, VettingStatus
from live.services import publish
from notifications import messages
from notifications.models import NotificationKind
from notifications.services import notify
from reporting.models import Priority, Report, Status
from reporting.payloads import report_payload


def on_duty_supervisors(centre_id: int) -> QuerySet[User]:
    """Who is pushed an escalation: the approved, active supervisors of the centre.

    There is no duty roster yet, so every supervisor of the centre is on duty; one who is
    off shift has no signed-in app and silences it there.
    """
    return User.objects.filter(
        centres=centre_id,
        role=Role.SUPERVISOR,
        status=VettingStatus.APPROVED,
        is_active=True,
    ).only("pk", "language")


def overdue_reports(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=settings.VIGIE_ESCALATION_DELAY_S)
    return list(
        Report.objects.filter(
            priority=Priority.CRITICAL,
            status=Status.NEW,
            created_at__lte=cutoff,
            escalated_at__isnull=True,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


def escalate_overdue(*, now: datetime | None = None) -> list[int]:
    """Raise every overdue critical report not yet raised; returns the ids raised now."""
    now = now or timezone.now()
    raised = []
    for report_id in overdue_reports(now):
        with transaction.atomic():
            claimed = Report.objects.filter(
                pk=report_id, escalated_at__isnull=True, status=Status.NEW
            ).update(escalated_at=now)
            if claimed != 1:
                continue  # another scan took it, or an operator did meanwhile
            report = Report.objects.select_related("category").get(pk=report_id)
            waited = int((now - report.created_at).total_seconds())
            publish(
                report.centre_id,
                "escalation",
                {
                    "kind": "overdue",
                    "report": report_payload(report),
                    "waited_s": waited,
                    "audience": "supervisors",
                    "reason": f"critical and not acknowledged after {waited} s",
                },
            )
            notify(
                on_duty_supervisors(report.centre_id),
                kind=NotificationKind.ESCALATION,
                texts=messages.escalation(report.reference, waited),
                data={"type": "escalation", "report": report.pk, "reference": report.reference},
                high_priority=True,
            )
            raised.append(report_id)
    return raised
