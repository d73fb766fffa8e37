"""Custody of a report beyond its centre's own handling (issue 9).

- A legal hold keeps a report (its media, camera links, interventions) past its centre's
  retention period, for proceedings. The purge (`privacy.retention`) skips held reports.
- Sharing lets another centre read a report (detail, media, camera links); triage and dispatch
  stay with the report's own centre (`reporting.queries.report_for_user`).

Both are explicit acts of a supervisor of the report's centre, with a reason, written to the
access trail in the same transaction as the change (STYLE.md, "Writing the history/audit row
after the commit").
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import MonitoringCentre, Role, User
from audit.models import Action
from audit.services import record
from common.errors import Conflict, NotAllowed, NotFound, RuleBroken
from live.services import publish
from reporting.models import Report, ReportShare
from reporting.payloads import report_payload

REASON_MAX = 2000


def _check_supervisor(report: Report, user: User) -> None:
    """Only a supervisor serving the report's centre; others learn nothing about the report
    of a centre they do not serve (404), operators of the centre are told why (403)."""
    if not user.centres.filter(pk=report.centre_id).exists():
        raise NotFound("No such report.")
    if user.role != Role.SUPERVISOR:
        raise NotAllowed(
            "Only a supervisor of the report's centre may do this.", code="supervisors_only"
        )


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleBroken(
            "Say why: the reason is kept in the access trail.",
            code="reason_required",
            fields={"reason": ["This field is required."]},
        )
    if len(reason) > REASON_MAX:
        raise RuleBroken(
            f"The reason is longer than {REASON_MAX} characters.",
            code="reason_too_long",
            fields={"reason": [f"At most {REASON_MAX} characters."]},
        )
    return reason


def _locked(report: Report) -> Report:
    # The purge may have taken the row meanwhile: a 404, not a 500.
    locked = Report.objects.select_for_update(of=("self",)).filter(pk=report.pk).first()
    if locked is None:
        raise NotFound("No such report.")
    return locked


def _trail(
    report: Report, *, actor: User, action: str, reason: str, detail: dict, request: Any
) -> None:
    record(
        actor=actor,
        action=action,
        target_type="report",
        target_id=report.pk,
        target_label=report.reference,
        centre_id=report.centre_id,
        reason=reason,
        detail=detail,
        request=request,
    )


@transaction.atomic
def set_legal_hold(report: Report, *, supervisor: User, reason: str, request: Any = None) -> Report:
    """Keep the report past its centre's retention period until the hold is lifted."""
    _check_supervisor(report, supervisor)
    reason = _clean_reason(reason)
    report = _locked(report)
    if report.legal_hold_at is not None:
        raise Conflict(
            f"Report {report.reference} is already on legal hold.", code="already_on_hold"
        )
    report.legal_hold_at, report.legal_hold_by = timezone.now(), supervisor
    report.legal_hold_reason = reason
    report.save(update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"])
    _trail(
        report,
        actor=supervisor,
        action=Action.LEGAL_HOLD,
        reason=reason,
        detail={"hold": "set"},
        request=request,
    )
    publish(report.centre_id, "report.updated", report_payload(report))
    return report


@transaction.atomic
def lift_legal_hold(
    report: Report, *, supervisor: User, reason: str, request: Any = None
) -> Report:
    """End the hold: the report is purged at the next scan if it is past retention."""
    _check_supervisor(report, supervisor)
    reason = _clean_reason(reason)
    report = _locked(report)
    if report.legal_hold_at is None:
        raise Conflict(f"Report {report.reference} is not on legal hold.", code="not_on_hold")
    detail = {
        "hold": "lifted",
        "held_since": report.legal_hold_at.isoformat(),
        "held_by": report.legal_hold_by_id,
        "held_for": report.legal_hold_reason,
    }
    report.legal_hold_at, report.legal_hold_by, report.legal_hold_reason = None, None, ""
    report.save(update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"])
    _trail(
        report,
        actor=supervisor,
        action=Action.LEGAL_HOLD,
        reason=reason,
        detail=detail,
        request=request,
    )
    publish(report.centre_id, "report.updated", report_payload(report))
    return report


@transaction.atomic
def share_report(
    report: Report,
    *,
    by: User,
    centre: MonitoringCentre,
    reason: str,
    request: Any = None,
) -> ReportShare:
    """Let `centre`'s operators and supervisors read the report. The receiving consoles get a
    `report.shared` event carrying the report; the owning centre a `report.updated`."""
    _check_supervisor(report, by)
    reason = _clean_reason(reason)
    if centre.pk == report.centre_id:
        raise RuleBroken(
            "A report is not shared with its own centre.",
            code="own_centre",
            fields={"centre": ["This is the report's own centre."]},
        )
    report = _locked(report)
    try:
        with transaction.atomic():  # a savepoint: the duplicate is reported, not a 500
            share = ReportShare.objects.create(
                report=report, centre=centre, shared_by=by, reason=reason
            )
    except IntegrityError as exc:
        raise Conflict(
            f"Report {report.reference} is already shared with {centre.name}.",
            code="already_shared",
            fields={"centre": [str(centre.pk)]},
        ) from exc
    _trail(
        report,
        actor=by,
        action=Action.SHARE,
        reason=reason,
        detail={"centre": centre.pk, "centre_slug": centre.slug},
        request=request,
    )
    payload = report_payload(report)
    publish(report.centre_id, "report.updated", payload)
    publish(
        centre.pk,
        "report.shared",
        {
            **payload,
            "shared": {
                "from_centre": report.centre_id,
                "by": by.username,
                "reason": reason,
                "at": share.created_at,
            },
        },
    )
    return share
