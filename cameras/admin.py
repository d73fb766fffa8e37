from __future__ import annotations

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from cameras.models import Camera, CameraLink, PrivacyMask, PtzCommand
from common.admin import CentreScopedAdmin, ReadOnlyAdmin
from common.widgets import VigieMapWidget


class PrivacyMaskInline(admin.TabularInline):
    model = PrivacyMask
    extra = 0


@admin.register(Camera)
class CameraAdmin(CentreScopedAdmin, GISModelAdmin):
    gis_widget = VigieMapWidget
    list_display = ["external_id", "name", "centre", "kind", "status", "range_m"]
    list_filter = ["centre", "kind", "status", "ptz_driver"]
    search_fields = ["external_id", "name", "vms_ref"]
    inlines = [PrivacyMaskInline]


@admin.register(PrivacyMask)
class PrivacyMaskAdmin(CentreScopedAdmin, GISModelAdmin):
    centre_lookup = "camera__centre"
    gis_widget = VigieMapWidget
    list_display = ["pk", "camera", "note"]
    list_select_related = ["camera"]


@admin.register(CameraLink)
class CameraLinkAdmin(ReadOnlyAdmin):
    centre_lookup = "report__centre"
    list_display = ["report", "rank", "camera", "distance_m", "reason"]
    list_select_related = ["report", "camera"]


@admin.register(PtzCommand)
class PtzCommandAdmin(ReadOnlyAdmin):
    centre_lookup = "camera__centre"
    list_display = ["created_at", "camera", "pan_deg", "tilt_deg", "zoom", "driver", "status"]
    list_filter = ["status", "driver"]
    list_select_related = ["camera"]
