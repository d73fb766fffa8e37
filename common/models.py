from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST sent with an `Idempotency-Key` (API.md).

    A retry with the same key from the same sender within the window gets this answer back and
    creates nothing. Only successful answers are kept: a refused request may be corrected and
    sent again under the same key.
    """

    sender = models.CharField(max_length=100)  # "user:12", "device:7", "anon:203.0.113.5"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "key"], name="idempotency_once_per_sender")
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.key}"


class Counter(models.Model):
    """A named sequence without gaps: report references per centre and year, event `seq` per
    centre. See `common.counters.next_value`."""

    scope = models.CharField(max_length=100, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}={self.value}"
