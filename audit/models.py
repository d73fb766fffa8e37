"""The access trail: who saw or changed what, when, and why (issue 9).

Rows are only ever added. The database itself refuses to change them, and refuses to delete
them before `TRAIL_KEPT` has passed (see migration 0001's trigger): the app, the admin and a
stray `QuerySet.delete()` are all stopped at the same place.

No foreign keys on purpose: the trail outlives the reports (purged after their centre's
retention period) and the accounts (a resident's erasure) it speaks of, and a cascade or a
SET NULL would be an UPDATE or DELETE the trigger refuses.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

# How long the trail itself is kept before it may be purged (the CNIL's guidance for access
# logs is six months to a year). Written into the trigger: changing it takes a migration.
TRAIL_KEPT_DAYS = 366


class Action(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    VIEW_REPORT = "view_report", "Viewed a report"
    VIEW_ATTACHMENT = "view_attachment", "Opened an attachment"
    VIEW_CAMERAS = "view_cameras", "Viewed a report's camera links"
    EXPORT = "export", "Exported data"
    CHANGE = "change", "Changed something"
    SHARE = "share", "Shared a report with another centre"
    LEGAL_HOLD = "legal_hold", "Set or lifted a legal hold"
    SEARCH_TRAIL = "search_trail", "Searched the access trail"
    ERASURE = "erasure", "Erased an account"


class AccessRecord(models.Model):
    """One access, appended in the same transaction as what it records."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who: copied, not referenced (see the module's docstring).
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    # What: "report", "attachment", "camera_link", "user", "intervention", "figures", …
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=100, blank=True)  # a report's reference
    # Where it belongs, so a supervisor sees the trail of the centres they serve only.
    centre_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="accessrecord_target_idx")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}"
