"""Alert buttons, street call points and the alerts they raise.

A device proves who it is with an HMAC of each request (API.md, Alert buttons and call
points), so the server keeps its secret; the secret is shown once, at creation or rotation.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone

from accounts.models import MonitoringCentre, Organisation


def new_secret() -> str:
    return secrets.token_hex(32)


class DeviceKind(models.TextChoices):
    ALERT_BUTTON = "alert_button", "Alert button"
    CALL_POINT = "call_point", "Street call point"


class AlertKind(models.TextChoices):
    PANIC = "panic", "Panic"
    INTRUSION = "intrusion", "Intrusion"
    MEDICAL = "medical", "Medical emergency"
    FIRE = "fire", "Fire"
    CALL = "call", "Call from a call point"


class Device(models.Model):
    """A physical alert button, a street call point, or a business's in-app button."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"

    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    name = models.CharField(max_length=200, help_text="What the operator reads: the place.")
    centre = models.ForeignKey(MonitoringCentre, on_delete=models.PROTECT, related_name="devices")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_devices",
        help_text="The business account the button belongs to, if any.",
    )
    location = models.PointField(geography=True, srid=4326, spatial_index=True)
    mobile = models.BooleanField(
        default=False, help_text="A mobile device may send its own position with each alert."
    )
    in_app = models.BooleanField(
        default=False, help_text="The button in a business's app (POST /api/v1/alerts/press/)."
    )
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    online = models.BooleanField(default=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    heartbeat_interval_s = models.PositiveIntegerField(
        default=300, help_text="How often the device says it is alive; 2 missed → offline."
    )
    model_notes = models.TextField(blank=True, help_text="Make, model, firmware.")
    sip_uri = models.CharField(
        max_length=200, blank=True, help_text="Call points: where an operator calls back."
    )
    dc09_account = models.CharField(
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text="SIA DC-09 account number (3 to 16 hex digits) this device reports with.",
    )
    dc09_key = models.CharField(
        max_length=64,
        blank=True,
        help_text=(
            "SIA DC-09 AES key: the binary key written in hex (32, 48 or 64 digits), not a "
            "16-character text key; empty: no encryption."
        ),
    )
    cancel_pin = models.CharField(max_length=128, blank=True, editable=False)  # hashed
    duress_pin = models.CharField(max_length=128, blank=True, editable=False)  # hashed
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["centre", "name"]
        indexes = [models.Index(fields=["status", "online"], name="device_supervision")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(in_app=True), name="one_app_button_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Alert(models.Model):
    """A press: which device (or business app) raised which report, and what became of it."""

    class Channel(models.TextChoices):
        HTTP = "http", "Signed HTTP"
        DC09 = "dc09", "SIA DC-09"
        APP = "app", "Business app"

    report = models.OneToOneField(
        "reporting.Report", on_delete=models.CASCADE, related_name="alert"
    )
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    located_by = models.CharField(
        max_length=10,
        choices=[("device", "Registered position"), ("sender", "Position sent with the alert")],
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    duress_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the duress PIN was used to 'cancel'."
    )
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} from device {self.device_id}"


class SeenSignature(models.Model):
    """Signatures already accepted: the same signed request twice is a replay (401).

    Kept a little longer than the 300 s a timestamp is valid; older rows are purged by the
    supervision beat, since a request that old is refused as stale anyway.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "signature"], name="signature_seen_once")
        ]


class RefusedDeviceRequest(models.Model):
    """The audit of every refused device request: who claimed to be whom, and why it failed."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=30)
    claimed_device = models.CharField(max_length=40, blank=True)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="refusals"
    )
    channel = models.CharField(max_length=10, default="http")
    path = models.CharField(max_length=200, blank=True)
    remote_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.reason} ({self.claimed_device})"
