"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment compared in UTC: PostgreSQL refuses a timestamp whose offset is
    beyond ±15:59 (`+18:04` is valid ISO 8601), which would otherwise be a 500."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                raise ValidationError({self.field_name: ["out of range"]}) from None
        return super().filter(qs, value)
