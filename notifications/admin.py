"""The outbox as the city's IT team and supervisors see it: read-only, filterable by outcome
(the log backend's "what would have been sent" is here too)."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin, RecordAdmin
from notifications.models import Broadcast, Notification, PushDevice, PushMessage


@admin.register(PushMessage)
class PushMessageAdmin(ReadOnlyAdmin):
    # A push belongs to the centres of the person it was for (a failed push to a resident is
    # their centre's supervisors' to see).
    centre_lookup = "notification__recipient__centres"
    list_display = ["pk", "notification", "device", "status", "attempts", "backend", "sent_at"]
    list_filter = ["status", "backend"]
    list_select_related = ["notification", "device"]
    readonly_fields = ["last_error"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    centre_lookup = "recipient__centres"
    list_display = ["created_at", "recipient", "kind", "title"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]


@admin.register(PushDevice)
class PushDeviceAdmin(ReadOnlyAdmin):
    centre_lookup = "user__centres"
    list_display = ["user", "platform", "active", "last_seen_at", "dropped_reason"]
    list_filter = ["platform", "active"]


@admin.register(Broadcast)
class BroadcastAdmin(RecordAdmin):
    list_display = ["created_at", "centre", "author", "title", "severity", "recipients"]
    list_filter = ["centre", "severity"]
