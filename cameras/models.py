from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import MonitoringCentre


class CameraKind(models.TextChoices):
    FIXED = "fixed", "Fixed"
    PTZ = "ptz", "Pan-tilt-zoom"
    DOME = "dome", "360° dome"
    THERMAL = "thermal", "Thermal"


# Kinds that see along a heading, within a field of view; the others turn or see all round.
DIRECTIONAL_KINDS = frozenset({CameraKind.FIXED, CameraKind.THERMAL})


class PtzDriver(models.TextChoices):
    SIMULATED = "simulated", "Simulated (records the command)"
    ONVIF = "onvif", "ONVIF"


def _degrees(low: float, high: float) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class Camera(models.Model):
    """A camera of the city's network and what it can see.

    Angles are degrees clockwise from true north. A fixed or thermal camera sees along
    `heading_deg` within `fov_deg`; a PTZ camera turns: its pan 0 points at `pan_zero_deg`, and
    it reaches pans between `pan_min_deg` and `pan_max_deg` (relative to that) and tilts
    between `tilt_min_deg` (down, negative) and `tilt_max_deg`. A dome sees all round.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        OUT_OF_ORDER = "out_of_order", "Out of order"

    centre = models.ForeignKey(MonitoringCentre, on_delete=models.PROTECT, related_name="cameras")
    external_id = models.CharField(max_length=100, help_text="The city's own identifier")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=CameraKind.choices, default=CameraKind.FIXED)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Geography: ranges and distances in metres, answered from the GiST index (see queries).
    location = models.PointField(geography=True, srid=4326, spatial_index=True)
    height_m = models.FloatField(default=6.0, validators=[MinValueValidator(0)])
    heading_deg = models.FloatField(null=True, blank=True, validators=_degrees(0, 360))
    fov_deg = models.FloatField(null=True, blank=True, validators=_degrees(1, 360))
    range_m = models.FloatField(default=100.0, validators=[MinValueValidator(1)])
    pan_zero_deg = models.FloatField(default=0.0, validators=_degrees(0, 360))
    pan_min_deg = models.FloatField(default=-180.0, validators=_degrees(-180, 180))
    pan_max_deg = models.FloatField(default=180.0, validators=_degrees(-180, 180))
    tilt_min_deg = models.FloatField(default=-90.0, validators=_degrees(-90, 90))
    tilt_max_deg = models.FloatField(default=10.0, validators=_degrees(-90, 90))
    zoom_max = models.FloatField(default=1.0, validators=[MinValueValidator(1)])
    presets = models.JSONField(default=dict, blank=True)
    stream_url = models.CharField(
        max_length=500, blank=True, help_text="Template: {external_id} and {id} are replaced"
    )
    snapshot_url = models.CharField(
        max_length=500, blank=True, help_text="Template: {external_id} and {id} are replaced"
    )
    vms_ref = models.CharField(max_length=200, blank=True, help_text="Reference in the VMS")
    ptz_driver = models.CharField(
        max_length=20, choices=PtzDriver.choices, default=PtzDriver.SIMULATED
    )
    onvif_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["centre", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "external_id"], name="camera_external_id_once_per_centre"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    def render_url(self, template: str) -> str:
        if not template:
            return ""
        return template.replace("{external_id}", self.external_id).replace("{id}", str(self.pk))


class PrivacyMask(models.Model):
    """An area a camera must never show (the inside of dwellings, as the law requires)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="privacy_masks")
    area = models.PolygonField(geography=True, srid=4326)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"mask {self.pk} of {self.camera}"


class LinkReason(models.TextChoices):
    IN_VIEW = "in_view", "In view"
    PTZ_REACHABLE = "ptz_reachable", "Reachable by PTZ"
    OUT_OF_VIEW = "out_of_view", "Out of view"
    OUT_OF_RANGE = "out_of_range", "Out of range"
    MASKED = "masked", "Masked"


class CameraLink(models.Model):
    """A camera near a report, and whether it can show it. Written once the report commits.

    The report is named by string: `cameras` sits below `reporting` and never imports it.
    """

    report = models.ForeignKey(
        "reporting.Report", on_delete=models.CASCADE, related_name="camera_links"
    )
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="links")
    rank = models.PositiveSmallIntegerField()
    distance_m = models.FloatField()
    bearing_deg = models.FloatField()
    visible = models.BooleanField()
    reason = models.CharField(max_length=20, choices=LinkReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["report", "camera"], name="camera_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} ← {self.camera_id} ({self.reason})"


class PtzCommand(models.Model):
    """A pointing order sent to a PTZ camera, and how the camera answered."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sent, no answer yet"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="ptz_commands")
    report = models.ForeignKey(
        "reporting.Report",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ptz_commands",
    )
    issued_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target = models.PointField(geography=True, srid=4326)
    pan_deg = models.FloatField()
    tilt_deg = models.FloatField()
    zoom = models.FloatField()
    driver = models.CharField(max_length=20, choices=PtzDriver.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.camera} → pan {self.pan_deg:.1f} tilt {self.tilt_deg:.1f}"
