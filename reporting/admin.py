from __future__ import annotations

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest

from common.widgets import VigieMapWidget
from reporting.models import Attachment, Category, Incident, Report


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_en", "default_priority", "active", "position"]
    list_editable = ["active", "position"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = readonly_fields = ["kind", "content_type", "size", "sha256", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(GISModelAdmin):
    """Read-only: a report changes only through the triage services (API and console)."""

    gis_widget = VigieMapWidget
    list_display = ["reference", "created_at", "centre", "source", "category", "priority", "status"]
    list_filter = ["centre", "status", "source", "priority", "category"]
    search_fields = ["reference", "description"]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline]
    list_select_related = ["centre", "category"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["pk", "centre", "created_by", "created_at"]
    list_filter = ["centre"]
