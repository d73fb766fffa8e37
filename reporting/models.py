from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import PUBLIC_ROLES, TRIAGE_ROLES, MonitoringCentre, Role, User


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


PRIORITY_RANK: dict[str, int] = {
    Priority.CRITICAL: 0,
    Priority.HIGH: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}


class Source(models.TextChoices):
    RESIDENT = "resident", "Resident"
    BUSINESS = "business", "Business"
    ALERT_BUTTON = "alert_button", "Alert button"
    CALL_POINT = "call_point", "Street call point"
    OPEN311 = "open311", "Open311 client"


ALERT_SOURCES = frozenset({Source.ALERT_BUTTON, Source.CALL_POINT})


class Status(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISPATCHED = "dispatched", "Dispatched"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# The report's life, as data (STYLE.md rule 16). An operator may close a report straight from
# the queue (a prank, a duplicate); a dispatched report goes back to acknowledged when its
# intervention is cancelled.
REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED, Status.CLOSED}),
    Status.ACKNOWLEDGED: frozenset({Status.DISPATCHED, Status.RESOLVED, Status.CLOSED}),
    Status.DISPATCHED: frozenset({Status.RESOLVED, Status.ACKNOWLEDGED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class Outcome(models.TextChoices):
    HANDLED = "handled", "Handled"
    FORWARDED = "forwarded", "Forwarded to another service"
    DUPLICATE = "duplicate", "Duplicate"
    NO_ACTION = "no_action", "Nothing to do"
    FALSE_ALARM = "false_alarm", "False alarm"
    OTHER = "other", "Other"


class Category(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label_fr = models.CharField(max_length=100)
    label_en = models.CharField(max_length=100)
    default_priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    active = models.BooleanField(default=True)
    for_alerts = models.BooleanField(
        default=False,
        help_text="Raised by alert buttons and call points only; not offered to senders.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.code

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_fr


class Incident(models.Model):
    """Several reports of one event, merged by an operator so it is handled once."""

    centre = models.ForeignKey(MonitoringCentre, on_delete=models.CASCADE, related_name="incidents")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"incident {self.pk}"


# dispatch's live intervention states, named here rather than imported (dispatch sits above).
POLICE_LIVE_STATES = ("dispatched", "acknowledged", "en_route", "on_scene")


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user: User, *, shared: bool = True) -> ReportQuerySet:
        """What this person may see (STYLE.md rule 8): their own reports for a member of the
        public, their centres' for operators and supervisors (plus, unless `shared` is False,
        the reports another centre shared with one of their centres: to read, never to act
        on), the reports their unit was sent to for police officers (dispatch's
        interventions, named here rather than imported), nothing for anyone else."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        if user.role in PUBLIC_ROLES:
            return self.filter(author=user)
        if user.role in TRIAGE_ROLES:
            centres = user.centres.values("pk")
            if not shared:
                return self.filter(centre__in=centres)
            shared_with = ReportShare.objects.filter(centre__in=centres).values("report_id")
            return self.filter(Q(centre__in=centres) | Q(pk__in=shared_with))
        if user.role == Role.POLICE:
            # While the intervention is live, and for VIGIE_POLICE_REPORT_HOURS after its last
            # move (the officer writes up the call), not forever.
            recent = timezone.now() - timedelta(hours=settings.VIGIE_POLICE_REPORT_HOURS)
            sent_to = self.model.objects.filter(
                Q(interventions__unit__members=user)
                & (
                    Q(interventions__state__in=POLICE_LIVE_STATES)
                    | Q(interventions__updated_at__gte=recent)
                )
            )
            return self.filter(pk__in=sent_to.values("pk"))
        return self.none()


class Report(models.Model):
    """Every signal, whatever its source, is one row here (ARCHITECTURE.md)."""

    reference = models.CharField(max_length=32, unique=True)
    centre = models.ForeignKey(MonitoringCentre, on_delete=models.PROTECT, related_name="reports")
    source = models.CharField(max_length=20, choices=Source.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    description = models.TextField(blank=True)
    # Geography: distances and radii in metres, straight from the GiST index.
    location = models.PointField(geography=True, srid=4326, spatial_index=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    closing_note = models.TextField(blank=True)
    # Set once, by the escalation scan, when a critical report waited too long for an operator.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A legal hold keeps the report (and what hangs off it) past its centre's retention period,
    # for proceedings; set and lifted by a supervisor of its centre, with a reason, audited.
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_hold_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("triage_report", "Can acknowledge, merge and close reports")]
        indexes = [
            models.Index(fields=["centre", "status", "-created_at"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_at is not None

    def __str__(self) -> str:
        return self.reference


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to="reports/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.report} {self.kind} {self.pk}"


class ReportShare(models.Model):
    """A report another centre may read: an explicit, audited act of a supervisor of the
    report's centre (issue 9). Reading only: triage stays with the report's own centre."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shares")
    centre = models.ForeignKey(
        MonitoringCentre, on_delete=models.CASCADE, related_name="shared_reports"
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "centre"], name="report_shared_once")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → centre {self.centre_id}"
