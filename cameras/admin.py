from __future__ import annotations

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest

from cameras.models import Camera, CameraLink, PrivacyMask, PtzCommand
from common.widgets import VigieMapWidget


class PrivacyMaskInline(admin.TabularInline):
    model = PrivacyMask
    extra = 0


@admin.register(Camera)
class CameraAdmin(GISModelAdmin):
    gis_widget = VigieMapWidget
    list_display = ["external_id", "name", "centre", "kind", "status", "range_m"]
    list_filter = ["centre", "kind", "status", "ptz_driver"]
    search_fields = ["external_id", "name", "vms_ref"]
    inlines = [PrivacyMaskInline]


@admin.register(PrivacyMask)
class PrivacyMaskAdmin(GISModelAdmin):
    gis_widget = VigieMapWidget
    list_display = ["pk", "camera", "note"]
    list_select_related = ["camera"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CameraLink)
class CameraLinkAdmin(_ReadOnly):
    list_display = ["report", "rank", "camera", "distance_m", "reason"]
    list_select_related = ["report", "camera"]


@admin.register(PtzCommand)
class PtzCommandAdmin(_ReadOnly):
    list_display = ["created_at", "camera", "pan_deg", "tilt_deg", "zoom", "driver", "status"]
    list_filter = ["status", "driver"]
    list_select_related = ["camera"]
