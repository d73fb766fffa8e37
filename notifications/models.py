"""Push devices, the notification outbox, and area broadcasts.

A notification is written in the same transaction as the change that causes it (one
`Notification` per person, one `PushMessage` per device of theirs), then sent by a worker that
claims pending messages; a crashed worker or an FCM outage leaves rows to send, never a loss.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone

from accounts.models import MonitoringCentre


class PushDevice(models.Model):
    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        WEB = "web", "Web"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices"
    )
    token = models.CharField(max_length=1024, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices, default=Platform.ANDROID)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    dropped_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["user", "-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class NotificationKind(models.TextChoices):
    REPORT_STATUS = "report_status", "Report status changed"
    DISPATCH = "dispatch", "Dispatch to a unit"
    HELP_COMING = "help_coming", "Help is coming (alert)"
    ESCALATION = "escalation", "Escalation to supervisors"
    BROADCAST = "broadcast", "Area broadcast"


class Notification(models.Model):
    """What one person is told, in their language; sent to each of their devices."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, help_text="The data message the apps act on.")
    high_priority = models.BooleanField(default=False)
    broadcast = models.ForeignKey(
        "Broadcast", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}: {self.title}"


class PushMessage(models.Model):
    """One notification to one device: the outbox row a worker claims, sends and settles."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        DROPPED = "dropped", "Dropped (the device's token is no longer valid)"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="pushes")
    device = models.ForeignKey(PushDevice, on_delete=models.CASCADE, related_name="pushes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    backend = models.CharField(max_length=10, blank=True)
    provider_id = models.CharField(max_length=200, blank=True, help_text="FCM message name")
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="push_pending",
            )
        ]

    def __str__(self) -> str:
        return f"push {self.pk} ({self.status})"


class Severity(models.TextChoices):
    # CAP 1.2 severities (OASIS), which the feed carries as they are.
    EXTREME = "Extreme", "Extreme"
    SEVERE = "Severe", "Severe"
    MODERATE = "Moderate", "Moderate"
    MINOR = "Minor", "Minor"


class Broadcast(models.Model):
    """A supervisor's message to the approved residents living in an area, audited."""

    centre = models.ForeignKey(
        MonitoringCentre, on_delete=models.PROTECT, related_name="broadcasts"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=140)
    body = models.TextField(max_length=2000)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    area = models.MultiPolygonField(srid=4326, spatial_index=True)
    area_description = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0, help_text="How many residents it went to.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
