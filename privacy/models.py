"""What the retention purge leaves behind (issue 9)."""

from __future__ import annotations

from django.db import models

from accounts.models import MonitoringCentre


class ReportStatistic(models.Model):
    """One purged report, reduced to anonymous figures: which centre, which local day, what
    kind of report and how fast it was handled.

    Nothing that points back to a person or a place on purpose: no reference, no location, no
    text, no author, no time of day (a day, a category and a centre are shared by many).
    """

    centre = models.ForeignKey(MonitoringCentre, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The local day the report was received.")
    category = models.CharField(max_length=40, help_text="The category's code.")
    source = models.CharField(max_length=20)
    priority = models.CharField(max_length=10)
    outcome = models.CharField(max_length=20, blank=True)
    # Seconds from the report's arrival; null where it never got there.
    seconds_to_acknowledged = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_dispatched = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_on_scene = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_resolved = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_closed = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "centre", "category"]
        indexes = [models.Index(fields=["centre", "day"], name="statistic_centre_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.category} ({self.source})"
