"""The outbox as the city's IT team and supervisors see it: read-only, filterable by outcome
(the log backend's "what would have been sent" is here too)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Broadcast, Notification, PushDevice, PushMessage


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PushMessage)
class PushMessageAdmin(_ReadOnly):
    list_display = ["pk", "notification", "device", "status", "attempts", "backend", "sent_at"]
    list_filter = ["status", "backend"]
    list_select_related = ["notification", "device"]
    readonly_fields = ["last_error"]


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ["created_at", "recipient", "kind", "title"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]


@admin.register(PushDevice)
class PushDeviceAdmin(_ReadOnly):
    list_display = ["user", "platform", "active", "last_seen_at", "dropped_reason"]
    list_filter = ["platform", "active"]


@admin.register(Broadcast)
class BroadcastAdmin(_ReadOnly):
    list_display = ["created_at", "centre", "author", "title", "severity", "recipients"]
    list_filter = ["centre", "severity"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of who sent what to how many
