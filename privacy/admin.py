"""The anonymous figures purged reports leave: readable, never editable."""

from __future__ import annotations

from django.contrib import admin

from common.admin import RecordAdmin
from privacy.models import ReportStatistic


@admin.register(ReportStatistic)
class ReportStatisticAdmin(RecordAdmin):
    # Written by the purge only: the figures are what is left of reports that are gone.
    list_display = [
        "day",
        "centre",
        "category",
        "source",
        "priority",
        "outcome",
        "seconds_to_acknowledged",
        "seconds_to_on_scene",
        "seconds_to_closed",
    ]
    list_filter = ["centre", "source", "priority", "category"]
    list_select_related = ["centre"]
    date_hierarchy = "day"
