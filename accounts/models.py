from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models.functions import Lower


class Organisation(models.Model):
    """An authority that runs monitoring centres: a city, a transport operator, a prefecture."""

    class Kind(models.TextChoices):
        CITY = "city", "City"
        TRANSPORT = "transport", "Transport operator"
        PREFECTURE = "prefecture", "Prefecture"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CITY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_retention_days() -> int:
    """New centres keep data for VIGIE_RETENTION_DAYS (read when the row is made, not frozen
    into a migration)."""
    return settings.VIGIE_RETENTION_DAYS


class MonitoringCentre(models.Model):
    """A supervision centre (CSU) and the area it answers for.

    Every signal is routed to the centre whose jurisdiction covers its point (PostGIS, GiST).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="centres")
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    reference_prefix = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "Two to six capital letters, e.g. NCE.")],
        help_text="Starts every report reference of this centre, e.g. NCE-2026-000123.",
    )
    jurisdiction = models.MultiPolygonField(srid=4326, spatial_index=True)
    retention_days = models.PositiveSmallIntegerField(
        default=default_retention_days,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Reports, media, positions and notifications older than this are purged "
        "(1 to 30 days; a report under legal hold is kept).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # French law: at most one month, whatever the admin form or a script says.
            models.CheckConstraint(
                condition=models.Q(retention_days__gte=1, retention_days__lte=30),
                name="centre_retention_at_most_30_days",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", "Resident"
    BUSINESS = "business", "Business"
    OPERATOR = "operator", "Operator"
    SUPERVISOR = "supervisor", "Supervisor"
    VETTING = "vetting", "Vetting officer"
    POLICE = "police", "Police officer"
    ADMIN = "admin", "Administrator"


PUBLIC_ROLES = frozenset({Role.RESIDENT, Role.BUSINESS})
STAFF_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.VETTING, Role.POLICE, Role.ADMIN})
# Staff who watch a centre's console and triage its reports.
TRIAGE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


class VettingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


# The vetting state machine, as data (STYLE.md rule 16). Revoked is final; a pending
# application is refused by revoking it.
VETTING_TRANSITIONS: dict[str, frozenset[str]] = {
    VettingStatus.PENDING: frozenset({VettingStatus.APPROVED, VettingStatus.REVOKED}),
    VettingStatus.APPROVED: frozenset({VettingStatus.SUSPENDED, VettingStatus.REVOKED}),
    VettingStatus.SUSPENDED: frozenset({VettingStatus.APPROVED, VettingStatus.REVOKED}),
    VettingStatus.REVOKED: frozenset(),
}


class VigieUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes a platform administrator, already vetted.
        extra_fields.setdefault("role", Role.ADMIN)
        extra_fields.setdefault("status", VettingStatus.APPROVED)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """Everyone who signs in: residents, businesses, centre staff, police, administrators.

    `role` decides the permission group; `status` is the vetting state, which only the
    services in `accounts.services` change. Staff serve one or more centres; a resident or a
    business belongs to the one centre whose jurisdiction holds its address point.
    """

    class Language(models.TextChoices):
        FRENCH = "fr", "Français"
        ENGLISH = "en", "English"

    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(
        max_length=20, choices=VettingStatus.choices, default=VettingStatus.PENDING
    )
    full_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    address_location = models.PointField(srid=4326, null=True, blank=True, spatial_index=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FRENCH)
    centres = models.ManyToManyField(MonitoringCentre, related_name="members", blank=True)

    objects: ClassVar[VigieUserManager] = VigieUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        permissions = [("vet_member", "Can approve, suspend and revoke residents and businesses")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_ci", condition=~models.Q(email="")
            ),
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
        ]

    @property
    def is_approved(self) -> bool:
        return self.status == VettingStatus.APPROVED

    def __str__(self) -> str:
        return self.username


class VettingDecision(models.Model):
    """One change of a member's vetting status: who decided, when, and why. Never edited."""

    # PROTECT: an account with a history is anonymised, never deleted with its history.
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="vetting_decisions")
    from_status = models.CharField(max_length=20, choices=VettingStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=VettingStatus.choices)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["member", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_status or '∅'} → {self.to_status}"
