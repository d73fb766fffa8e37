"""Push devices, the outbox, and its sending.

`notify` and `broadcast_to_area` write rows inside the caller's transaction (the change and
its notifications commit together, or neither does); `send_pending` is what a worker runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import PUBLIC_ROLES, MonitoringCentre, Role, User, VettingStatus
from audit.models import Action
from audit.services import record
from common.errors import InvalidInput, RuleBroken
from notifications import backends
from notifications.messages import Texts, verbatim
from notifications.models import (
    Broadcast,
    Notification,
    NotificationKind,
    PushDevice,
    PushMessage,
    Severity,
)

BATCH = 500  # FCM's send_each takes at most 500 messages per call
CLAIM_EXPIRES = timedelta(minutes=5)  # a claim older than this belongs to a dead worker


# --- devices ------------------------------------------------------------------------------


@transaction.atomic
def register_push_device(user: User, *, token: str, platform: str) -> PushDevice:
    """The app's FCM token: one person may have several devices; a token has one owner (the
    last who registered it: a phone that changed hands stops getting the old owner's pushes)."""
    token = token.strip()
    if not token or len(token) > 1024 or not token.isprintable():
        raise InvalidInput(fields={"token": ["an FCM registration token"]})
    if platform not in PushDevice.Platform.values:
        raise InvalidInput(fields={"platform": PushDevice.Platform.values})
    device, _ = PushDevice.objects.select_for_update().update_or_create(
        token=token,
        defaults={
            "user": user,
            "platform": platform,
            "active": True,
            "last_seen_at": timezone.now(),
            "dropped_reason": "",
        },
    )
    return device


@transaction.atomic
def drop_push_device(user: User, *, token: str) -> bool:
    deleted, _ = PushDevice.objects.filter(user=user, token=token).delete()
    return bool(deleted)


# --- the outbox ---------------------------------------------------------------------------


def _stringified(data: dict[str, Any]) -> dict[str, str]:
    # FCM data messages carry strings only.
    return {key: "" if value is None else str(value) for key, value in data.items()}


def notify(
    recipients: Iterable[User],
    *,
    kind: str,
    texts: Texts,
    data: dict[str, Any],
    high_priority: bool = False,
) -> list[Notification]:
    """Queue a notification to each recipient, in their language, for each of their devices.

    Must be called inside the transaction of the change it tells about; the worker is woken
    after commit (and the beat finds the rows anyway if that wake-up is lost).
    """
    people = {user.pk: user for user in recipients}
    if not people:
        return []
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            data=_stringified(data),
            high_priority=high_priority,
            created_at=now,
        )
        for user in people.values()
        for title, body in [texts(user.language)]
    )
    devices = PushDevice.objects.filter(user_id__in=people, active=True).values_list(
        "pk", "user_id"
    )
    by_user: dict[int, list[int]] = {}
    for device_id, user_id in devices:
        by_user.setdefault(user_id, []).append(device_id)
    PushMessage.objects.bulk_create(
        PushMessage(notification=notification, device_id=device_id, next_attempt_at=now)
        for notification in notifications
        for device_id in by_user.get(notification.recipient_id, [])
    )
    _wake_worker()
    return notifications


def _wake_worker() -> None:
    from notifications.tasks import send_pushes  # tasks import services: break the cycle

    transaction.on_commit(lambda: send_pushes.delay(), robust=True)


def _claim(limit: int) -> tuple[datetime, list[int]]:
    """Take up to `limit` due messages for this worker (skip-locked, so workers never share).

    Returns the claim's stamp with the ids: settling checks it, so a worker slower than
    CLAIM_EXPIRES cannot overwrite what the worker that took over has done.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_pushmessage SET claimed_at = %(now)s, attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM notifications_pushmessage
                WHERE status = 'pending' AND next_attempt_at <= %(now)s
                  AND (claimed_at IS NULL OR claimed_at < %(expired)s)
                ORDER BY next_attempt_at, id
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,
            # The application's clock, as for every timestamp the rows were written with.
            {"now": now, "expired": now - CLAIM_EXPIRES, "limit": limit},
        )
        return now, [row[0] for row in cursor.fetchall()]


def _backoff(attempts: int) -> timedelta:
    seconds = settings.VIGIE_PUSH_RETRY_BASE_S * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


def send_pending(*, limit: int = BATCH) -> dict[str, int]:
    """Send one batch of due messages and settle each one. Returns counts by outcome.

    Runs outside any transaction: the claim commits first, then FCM is called, then each
    outcome is written. A worker that dies in between leaves claimed rows that another run
    takes over after CLAIM_EXPIRES; FCM may then see a message twice, never zero times.
    """
    with transaction.atomic():
        stamp, claimed = _claim(min(limit, BATCH))
    if not claimed:
        return {}
    messages = list(
        PushMessage.objects.filter(pk__in=claimed).select_related("notification", "device")
    )
    sender = backends.backend()
    counts: dict[str, int] = {}
    now = timezone.now()
    # A device found dead after these rows were queued gets nothing more.
    dead = [m for m in messages if not m.device.active]
    live = [m for m in messages if m.device.active]
    with transaction.atomic():
        for message in dead:
            gone = backends.Outcome(ok=False, action=backends.DROP, error="device no longer active")
            _count(counts, _settle(message, gone, now=now, backend=sender.name, claim=stamp))
    outcomes = sender.send(
        [
            backends.Push(
                token=m.device.token,
                title=m.notification.title,
                body=m.notification.body,
                data=m.notification.data,
                high_priority=m.notification.high_priority,
            )
            for m in live
        ]
    )
    now = timezone.now()
    with transaction.atomic():
        for message, outcome in zip(live, outcomes, strict=True):
            _count(counts, _settle(message, outcome, now=now, backend=sender.name, claim=stamp))
    return counts


def _count(counts: dict[str, int], status: str | None) -> None:
    if status is not None:
        counts[status] = counts.get(status, 0) + 1


def _settle(
    message: PushMessage,
    outcome: backends.Outcome,
    *,
    now: datetime,
    backend: str,
    claim: datetime,
) -> str | None:
    """Write the outcome, if this worker still holds the claim; returns the new status, or
    None when another worker took the row over meanwhile (its outcome stands)."""
    fields: dict[str, Any] = {"backend": backend, "claimed_at": None}
    if outcome.ok:
        fields |= {
            "status": PushMessage.Status.SENT,
            "sent_at": now,
            "provider_id": outcome.provider_id[:200],
            "last_error": "",
        }
    elif outcome.action == backends.DROP:
        fields |= {"status": PushMessage.Status.DROPPED, "last_error": outcome.error}
    elif message.attempts >= settings.VIGIE_PUSH_MAX_ATTEMPTS:
        fields |= {"status": PushMessage.Status.FAILED, "last_error": outcome.error}
    else:
        fields |= {
            "status": PushMessage.Status.PENDING,
            "next_attempt_at": now + _backoff(message.attempts),
            "last_error": outcome.error,
        }
    still_ours = PushMessage.objects.filter(
        pk=message.pk, claimed_at=claim, status=PushMessage.Status.PENDING
    ).update(**fields)
    if not still_ours:
        return None
    if fields["status"] == PushMessage.Status.DROPPED:
        PushDevice.objects.filter(pk=message.device_id).update(
            active=False, dropped_reason=outcome.error[:100]
        )
    return str(fields["status"])


def send_all_pending(*, max_batches: int = 20) -> dict[str, int]:
    """Batches until nothing is due (bounded, so one run never holds a worker for long)."""
    total: dict[str, int] = {}
    for _ in range(max_batches):
        counts = send_pending()
        if not counts:
            break
        for status, n in counts.items():
            total[status] = total.get(status, 0) + n
    return total


# --- area broadcasts ----------------------------------------------------------------------


@transaction.atomic
def broadcast_to_area(
    *,
    centre: MonitoringCentre,
    author: User,
    title: str,
    body: str,
    severity: str,
    area: MultiPolygon,
    expires_at: datetime,
    area_description: str = "",
) -> Broadcast:
    """Tell the approved residents of `centre` whose registered address lies in `area`.

    Targeting is one PostGIS query; the broadcast row keeps who sent what to how many.
    """
    if severity not in Severity.values:
        raise InvalidInput(fields={"severity": Severity.values})
    if expires_at <= timezone.now():
        raise InvalidInput(fields={"expires_at": ["must be in the future"]})
    if not (title.strip() and body.strip()):
        raise InvalidInput(fields={"title": ["required"], "body": ["required"]})
    if not MonitoringCentre.objects.filter(pk=centre.pk, jurisdiction__intersects=area).exists():
        raise RuleBroken(
            "The area does not touch the centre's jurisdiction.",
            code="outside_jurisdiction",
            fields={"area": ["outside the centre's jurisdiction"]},
        )
    broadcast = Broadcast.objects.create(
        centre=centre,
        author=author,
        title=title.strip(),
        body=body.strip(),
        severity=severity,
        area=area,
        area_description=area_description,
        expires_at=expires_at,
    )
    recipients = list(
        User.objects.filter(
            centres=centre,
            role=Role.RESIDENT,
            status=VettingStatus.APPROVED,
            is_active=True,
            address_location__coveredby=area,  # PostGIS ST_CoveredBy, GiST-indexed
        ).only("pk", "language")
    )
    notifications = notify(
        recipients,
        kind=NotificationKind.BROADCAST,
        texts=verbatim(broadcast.title, broadcast.body),
        data={"type": "broadcast", "broadcast": broadcast.pk, "severity": severity},
        high_priority=severity in (Severity.EXTREME, Severity.SEVERE),
    )
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(broadcast=broadcast)
    broadcast.recipients = len(recipients)
    broadcast.save(update_fields=["recipients"])
    record(
        actor=author,
        action=Action.CHANGE,
        target_type="broadcast",
        target_id=broadcast.pk,
        target_label=broadcast.title,
        centre_id=centre.pk,
        detail={"change": "broadcast", "severity": severity, "recipients": len(recipients)},
    )
    return broadcast


def current_broadcasts_for(user: User) -> Any:
    """What an approved resident or business may read now: unexpired broadcasts of their
    centres covering their registered address; staff: their centres' broadcasts."""
    now = timezone.now()
    broadcasts = Broadcast.objects.filter(expires_at__gt=now)
    if user.role in PUBLIC_ROLES:
        if user.address_location is None or user.status != VettingStatus.APPROVED:
            return broadcasts.none()
        return broadcasts.filter(
            Q(centre__in=user.centres.values("pk")), area__covers=user.address_location
        )
    return broadcasts.filter(centre__in=user.centres.values("pk"))
