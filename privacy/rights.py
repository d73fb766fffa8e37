"""Residents' rights (issue 9, item 5): a member's copy of what Vigie holds about them (GDPR
art. 15 and 20), and the erasure of their account (art. 17).

What a member is, for these rights: a resident or a business account (`PUBLIC_ROLES`). A
business account is held by a person (the shopkeeper, the manager), and its email, phone and
name are that person's, so it gets both rights; its alert devices are part of its export and
are revoked by its erasure. Staff accounts are refused: they belong to their employer, who
removes them (their actions are the centre's records).

Every table that points at a user was looked at (`grep -rn "AUTH_USER_MODEL\\|accounts.User"
*/models.py`, plus knox and the non-FK copies). For a member:

- `accounts.User`: exported; anonymised in place, never deleted (see `erase_member`).
- `User.centres`: exported (names); kept, so the centre's vetting officers still reach the
  history. `auth` groups and permissions: the role is exported; cleared.
- `accounts.VettingDecision.member`: exported without the officer's identity; kept (PROTECT
  on purpose), ending with a "revoked: erased at the member's request" decision.
- `reporting.Report.author`: every report exported, media as authorised links; the report is
  kept for the operators until retention purges it, with `author` set to None.
- `notifications.PushDevice.user`: exported, token truncated; deleted with its pushes.
- `notifications.Notification.recipient`: exported (and through it the broadcasts they were
  sent); deleted with its pushes. The broadcast itself is the centre's.
- `knox.AuthToken.user`: created and expiry, no key; deleted, so every app is signed out.
- `alerts.Device.owner`: exported without secret, PINs or DC-09 key, with the alerts as the
  shop's page shows them; revoked, and an in-app button (named after the member) unnamed.
- `common.IdempotencyRecord` with `sender = "user:<id>"` (not a FK): not exported, being
  cached copies of answers the export already holds; deleted.
- `audit.AccessRecord` (ids copied, no FK): the member's own actions and the accesses to
  their data, without staff identities; kept (append-only in the database, purged after
  `TRAIL_KEPT_DAYS`): the trail is how the city answers for what was done with the data.
- django-axes' `AccessAttempt` (username and address, no FK): not exported (the trail's
  `login_failed` rows say the same); deleted, so a newcomer under the freed name starts clean.
- `live.Event` of their reports: the report payload has no author, so nothing to strip;
  `device.*` events naming an in-app button get the new name.
- Staff-only links (`Incident.created_by`, `Report.acknowledged_by`, `closed_by` and
  `legal_hold_by`, `ReportShare.shared_by`, `Broadcast.author`, `Unit.members`,
  `PositionFix.reported_by`, `Intervention.created_by`, `InterventionEvent.by`,
  `PtzCommand.issued_by`, the admin's log, OTP devices): a member holds none.

Celery tasks take ids only (`link_cameras(report_id)`, `steer_cameras(alert_id)`,
`send_pushes()`), so no queue or result backend keeps a copy of a member's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import PUBLIC_ROLES, User, VettingDecision, VettingStatus
from accounts.services import change_vetting_status
from alerts import services as alert_services
from alerts.models import Alert, Device
from audit.models import AccessRecord, Action
from audit.services import record
from common.errors import NotAllowed, RuleBroken
from common.models import IdempotencyRecord
from live.models import Event
from notifications.models import Notification, PushDevice
from reporting.models import Attachment, Report

EXPORT_FORMAT = "vigie-member-export/1"
# Enough of an FCM token for its owner to recognise it, too little to send it anything.
TOKEN_SHOWN = 12
ERASED_REASON = "Account erased at the member's request."


class StaffAccount(NotAllowed):
    code = "staff_account"
    message = (
        "Staff accounts are managed by the centre that employs you; ask its administrator. "
        "This is for residents and businesses."
    )


class WrongPassword(RuleBroken):
    # 422, not 401: the app's credentials are fine, and a 401 tells every client (ours
    # included) that its token has ended.
    code = "wrong_password"
    message = "Wrong password."


def _refuse_staff(member: User) -> None:
    if not member.is_authenticated or member.role not in PUBLIC_ROLES:
        raise StaffAccount()


def _point(point: Any) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"type": "Point", "coordinates": [point.x, point.y]}


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


# --- export ---------------------------------------------------------------------------------


def _account(member: User) -> dict[str, Any]:
    return {
        "id": member.pk,
        "username": member.username,
        "email": member.email,
        "phone": member.phone,
        "full_name": member.full_name,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "address": member.address,
        "address_location": _point(member.address_location),
        "language": member.language,
        "role": member.role,
        "status": member.status,
        "centres": [{"id": c.pk, "name": c.name} for c in member.centres.order_by("pk")],
        "date_joined": _when(member.date_joined),
        "last_login": _when(member.last_login),
    }


def _vetting(member: User) -> list[dict[str, Any]]:
    # The officer who decided is left out: the decision, its date and its reason are the
    # member's data; which employee took it is the centre's (CJEU C-579/21, Pankki S: the
    # right of access covers what was done and why, not the identity of the staff who did it).
    decisions = VettingDecision.objects.filter(member=member).order_by("decided_at", "pk")
    return [
        {
            "from_status": decision.from_status,
            "to_status": decision.to_status,
            "reason": decision.reason,
            "decided_at": _when(decision.decided_at),
            "decided_by": "staff" if decision.decided_by_id else "system",
        }
        for decision in decisions
    ]


def _reports(member: User) -> list[dict[str, Any]]:
    reports = (
        Report.objects.filter(author=member)
        .select_related("category")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": report.pk,
            "reference": report.reference,
            "source": report.source,
            "category": report.category.code,
            "status": report.status,
            "description": report.description,
            "location": _point(report.location),
            "accuracy_m": report.accuracy_m,
            "occurred_at": _when(report.occurred_at),
            "created_at": _when(report.created_at),
            "acknowledged_at": _when(report.acknowledged_at),
            "closed_at": _when(report.closed_at),
            "outcome": report.outcome,
            "closing_note": report.closing_note,
            # Links to the authorised view, not the bytes: the export stays small, and the
            # files are fetched with the same token while the account exists.
            "media": [
                {
                    "id": attachment.pk,
                    "kind": attachment.kind,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "url": reverse("report-media", args=[report.pk, attachment.pk]),
                }
                for attachment in report.attachments.all()
            ],
        }
        for report in reports
    ]


def _notifications(member: User) -> list[dict[str, Any]]:
    notifications = (
        Notification.objects.filter(recipient=member)
        .prefetch_related("pushes")
        .order_by("created_at", "pk")
    )
    return [
        {
            "kind": notification.kind,
            "title": notification.title,
            "body": notification.body,
            "data": notification.data,
            "broadcast": notification.broadcast_id,
            "created_at": _when(notification.created_at),
            "deliveries": [
                {"status": push.status, "sent_at": _when(push.sent_at)}
                for push in notification.pushes.all()
            ],
        }
        for notification in notifications
    ]


def _broadcasts(member: User) -> list[dict[str, Any]]:
    notified = Notification.objects.filter(recipient=member, broadcast__isnull=False)
    broadcasts = (
        notified.values(
            "broadcast_id",
            "broadcast__title",
            "broadcast__body",
            "broadcast__severity",
            "broadcast__area_description",
            "broadcast__created_at",
            "broadcast__expires_at",
        )
        .distinct()
        .order_by("broadcast__created_at", "broadcast_id")
    )
    return [
        {
            "id": row["broadcast_id"],
            "title": row["broadcast__title"],
            "body": row["broadcast__body"],
            "severity": row["broadcast__severity"],
            "area_description": row["broadcast__area_description"],
            "created_at": _when(row["broadcast__created_at"]),
            "expires_at": _when(row["broadcast__expires_at"]),
        }
        for row in broadcasts
    ]


def _push_devices(member: User) -> list[dict[str, Any]]:
    return [
        {
            "platform": device.platform,
            "token": device.token[:TOKEN_SHOWN] + "…",
            "active": device.active,
            "created_at": _when(device.created_at),
            "last_seen_at": _when(device.last_seen_at),
            "dropped_reason": device.dropped_reason,
        }
        for device in PushDevice.objects.filter(user=member).order_by("created_at", "pk")
    ]


def _app_tokens(member: User) -> list[dict[str, Any]]:
    # Neither the digest nor the key prefix: a copy of the export must not help anyone in.
    tokens = AuthToken.objects.filter(user=member).order_by("created")
    return [{"created": _when(t.created), "expiry": _when(t.expiry)} for t in tokens]


def _devices(member: User) -> list[dict[str, Any]]:
    devices = Device.objects.filter(owner=member).order_by("created_at", "pk")
    alerts = Alert.objects.filter(device__owner=member).select_related("report")
    by_device: dict[int, list[dict[str, Any]]] = {}
    for alert in alerts.order_by("created_at", "pk"):
        # What the shop's own page says (`alert_state`): a duress alert reads "cancelled",
        # here too, since whoever threatens the member may make them download this.
        by_device.setdefault(alert.device_id, []).append(
            {
                "reference": alert.report.reference,
                "kind": alert.kind,
                "state": alert_services.alert_state(alert),
                "created_at": _when(alert.created_at),
            }
        )
    # No secret, PIN, DC-09 key or call-back address: what proves a device, not what it is.
    return [
        {
            "id": device.pk,
            "kind": device.kind,
            "name": device.name,
            "location": _point(device.location),
            "in_app": device.in_app,
            "mobile": device.mobile,
            "status": device.status,
            "has_cancel_pin": bool(device.cancel_pin),
            "created_at": _when(device.created_at),
            "alerts": by_device.get(device.pk, []),
        }
        for device in devices
    ]


def _trail_row(row: AccessRecord, *, own: bool) -> dict[str, Any]:
    item = {
        "at": _when(row.at),
        "action": row.action,
        "target_type": row.target_type,
        "target": row.target_label,
    }
    if own:
        item["ip_address"] = row.ip_address
    else:
        # The role, not the person (see `_vetting`).
        item["by_role"] = row.actor_role
    return item


def _access_trail(member: User, reports: list[dict[str, Any]]) -> dict[str, Any]:
    report_ids = [report["id"] for report in reports]
    attachment_ids = Attachment.objects.filter(report_id__in=report_ids).values("pk")
    device_ids = Device.objects.filter(owner=member).values("pk")
    own = AccessRecord.objects.filter(actor_id=member.pk).order_by("at", "pk")
    about = (
        AccessRecord.objects.filter(
            Q(target_type="user", target_id=member.pk)
            | Q(target_type="report", target_id__in=report_ids)
            | Q(target_type="attachment", target_id__in=attachment_ids)
            | Q(target_type="device", target_id__in=device_ids)
            # Failed sign-ins under their name since they hold it (a name is free again
            # after an erasure: the attempts on a former holder's account are not theirs).
            | Q(
                action=Action.LOGIN_FAILED,
                actor_id=None,
                actor_username__iexact=member.username,
                at__gte=member.date_joined,
            )
        )
        .exclude(actor_id=member.pk)
        .order_by("at", "pk")
    )
    return {
        "your_actions": [_trail_row(row, own=True) for row in own],
        "accesses_to_your_data": [_trail_row(row, own=False) for row in about],
    }


def export_member_data(member: User, *, request: Any = None) -> dict[str, Any]:
    """Everything Vigie holds about this resident or business, as one JSON-ready dict, and
    the access record of the export itself (written in the same transaction)."""
    _refuse_staff(member)
    with transaction.atomic():
        member = User.objects.get(pk=member.pk)
        reports = _reports(member)
        data = {
            "format": EXPORT_FORMAT,
            "generated_at": timezone.now().isoformat(),
            "account": _account(member),
            "vetting": _vetting(member),
            "reports": reports,
            "notifications": _notifications(member),
            "broadcasts": _broadcasts(member),
            "push_devices": _push_devices(member),
            "app_tokens": _app_tokens(member),
            "devices": _devices(member),
            "access_trail": _access_trail(member, reports),
        }
        record(
            actor=member,
            action=Action.EXPORT,
            target_type="user",
            target_id=member.pk,
            target_label=member.username,
            centre_id=member.centres.values_list("pk", flat=True).first(),
            reason="the member's own copy of their data (GDPR art. 15)",
            detail={"reports": len(reports)},
            request=request,
        )
    return data


# --- erasure --------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure did, for the access trail and the caller."""

    user_id: int
    reports_anonymised: int = 0
    app_tokens: int = 0
    push_devices: int = 0
    notifications: int = 0
    idempotency_records: int = 0
    devices_revoked: list[int] = field(default_factory=list)
    events_scrubbed: int = 0


def _erase_devices(member: User, erasure: Erasure) -> None:
    """Revoke the member's alert devices; an in-app button was named after the member (its
    full name, address or username), and so were the `device.*` events that name it."""
    for device in Device.objects.filter(owner=member).order_by("pk"):
        if device.in_app:
            device = alert_services.update_device(device, name=f"In-app button {device.pk}")
            events = Event.objects.select_for_update().filter(
                type__startswith="device.", data__id=device.pk
            )
            for event in events:
                if event.data.get("name") != device.name:
                    event.data = {**event.data, "name": device.name}
                    event.save(update_fields=["data"])
                    erasure.events_scrubbed += 1
        if device.active:
            alert_services.revoke_device(device)
            erasure.devices_revoked.append(device.pk)


def _forget_lockouts(username: str) -> None:
    # django-axes keeps failed sign-ins by username; once the name is free again, a newcomer
    # enrolling under it must not inherit them. Only if axes is installed (issue 9, item 4).
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt

        # Whatever the case axes stored it in (accounts.signin casefolds it).
        AccessAttempt.objects.filter(username__iexact=username).delete()


def erase_member(member: User, *, password: str, request: Any = None) -> Erasure:
    """Erase a resident's or a business's account at their request, in one transaction.

    The account row stays, anonymised (its vetting history is PROTECTed, and reports and
    decisions must keep pointing somewhere); everything that only served the member goes.
    Their reports stay for the operators, without their author, until retention purges them.
    Raises `StaffAccount` (403) for staff and `WrongPassword` (422) without the current
    password; nothing changes then.
    """
    _refuse_staff(member)
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        if not member.is_active or not member.check_password(password):
            raise WrongPassword(fields={"password": ["wrong password"]})
        erasure = Erasure(user_id=member.pk)

        # One UPDATE of the link alone (it locks the rows it changes): nothing an operator sees
        # changes, so no event and no `updated_at` bump; the report payload never named its
        # author, and a triage service saving a report writes its own fields only.
        erasure.reports_anonymised = Report.objects.filter(author=member).update(author=None)
        erasure.app_tokens = AuthToken.objects.filter(user=member).delete()[0]
        if member.status != VettingStatus.REVOKED:
            # Final, so that nobody can approve an empty account back.
            member = change_vetting_status(
                member, to=VettingStatus.REVOKED, by=None, reason=ERASED_REASON
            )
        erasure.notifications = (
            Notification.objects.filter(recipient=member)
            .delete()[1]
            .get("notifications.Notification", 0)
        )
        erasure.push_devices = (
            PushDevice.objects.filter(user=member).delete()[1].get("notifications.PushDevice", 0)
        )
        erasure.idempotency_records = IdempotencyRecord.objects.filter(
            sender=f"user:{member.pk}"
        ).delete()[0]
        _erase_devices(member, erasure)
        _forget_lockouts(member.username)

        record(
            # Who asked, as they were known (the row is still unchanged in memory): a complaint
            # about a vanished account is answered from this record, kept TRAIL_KEPT_DAYS.
            actor=member,
            action=Action.ERASURE,
            target_type="user",
            target_id=member.pk,
            target_label=f"erased-{member.pk}",
            centre_id=member.centres.values_list("pk", flat=True).first(),
            reason="erasure at the member's request (GDPR art. 17)",
            detail={
                "reports_anonymised": erasure.reports_anonymised,
                "app_tokens": erasure.app_tokens,
                "push_devices": erasure.push_devices,
                "notifications": erasure.notifications,
                "idempotency_records": erasure.idempotency_records,
                "devices_revoked": erasure.devices_revoked,
                "events_scrubbed": erasure.events_scrubbed,
            },
            request=request,
        )

        member.username = f"erased-{member.pk}"
        member.email = member.phone = member.full_name = member.address = ""
        member.first_name = member.last_name = ""
        member.address_location = None
        member.last_login = None
        member.is_active = False
        member.set_unusable_password()
        member.save()
        member.groups.clear()
        member.user_permissions.clear()

    return erasure
