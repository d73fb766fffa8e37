"""Units are made through the API (supervisors) or here; interventions and positions are a
record, read-only in the admin: they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from common.admin import RecordAdmin
from dispatch.models import Intervention, InterventionEvent, Unit, UnitPosition


@admin.register(Unit)
class UnitAdmin(RecordAdmin):
    list_display = ["callsign", "kind", "centre", "status", "last_seen_at"]
    list_filter = ["centre", "kind", "status"]
    search_fields = ["callsign"]


class InterventionEventInline(admin.TabularInline):
    model = InterventionEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "by", "unit", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Intervention)
class InterventionAdmin(RecordAdmin):
    list_display = ["created_at", "report", "unit", "state", "outcome"]
    list_filter = ["state", "outcome", "centre"]
    list_select_related = ["report", "unit"]
    inlines = [InterventionEventInline]


@admin.register(UnitPosition)
class UnitPositionAdmin(RecordAdmin):
    centre_lookup = "unit__centre"
    list_display = ["unit", "recorded_at", "accuracy_m", "received_at"]
    list_select_related = ["unit"]
