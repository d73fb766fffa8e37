from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import MonitoringCentre


class Event(models.Model):
    """One thing that happened in a centre, in order: the record the live console replays.

    `seq` counts each centre's events from 1 without gaps (common.counters), so a console that
    holds seq N and receives N+2 knows it missed one and asks for a replay.
    """

    centre = models.ForeignKey(MonitoringCentre, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=50)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["centre", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "seq"], name="event_seq_once_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.centre_id}#{self.seq} {self.type}"

    def as_frame(self) -> dict:
        """The frame a console receives (API.md, Live console)."""
        return {
            "centre": self.centre_id,
            "seq": self.seq,
            "type": self.type,
            "at": self.created_at.isoformat(),
            "data": self.data,
        }
