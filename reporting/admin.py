from __future__ import annotations

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from audit.models import Action
from audit.services import record
from common.admin import CentreScopedAdmin
from common.widgets import VigieMapWidget
from reporting.models import Attachment, Category, Incident, Report, ReportShare


@admin.register(Category)
class CategoryAdmin(CentreScopedAdmin):
    centre_lookup = None  # the same categories for every centre
    list_display = ["code", "label_fr", "label_en", "default_priority", "active", "position"]
    list_editable = ["active", "position"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = readonly_fields = ["kind", "content_type", "size", "sha256", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ShareInline(admin.TabularInline):
    model = ReportShare
    extra = 0
    can_delete = False
    fields = readonly_fields = ["centre", "shared_by", "reason", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # sharing is a supervisor's audited action (POST …/share/)


@admin.register(Report)
class ReportAdmin(CentreScopedAdmin, GISModelAdmin):
    """Read-only: a report changes only through the triage services (API and console)."""

    gis_widget = VigieMapWidget
    list_display = ["reference", "created_at", "centre", "source", "category", "priority", "status"]
    list_filter = ["centre", "status", "source", "priority", "category"]
    search_fields = ["reference", "description"]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline, ShareInline]
    list_select_related = ["centre", "category"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        # Reading a report in the admin is a reading like any other: it goes in the trail.
        with transaction.atomic():
            response = super().change_view(request, object_id, form_url, extra_context)
            report = self.get_object(request, object_id)
            if request.method == "GET" and report is not None and response.status_code == 200:
                record(
                    actor=request.user,
                    action=Action.VIEW_REPORT,
                    target_type="report",
                    target_id=report.pk,
                    target_label=report.reference,
                    centre_id=report.centre_id,
                    detail={"via": "admin"},
                    request=request,
                )
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(CentreScopedAdmin):
    list_display = ["pk", "centre", "created_by", "created_at"]
    list_filter = ["centre"]
