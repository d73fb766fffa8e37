"""The access trail in the admin: read, never added, changed or deleted, by anyone.

The database refuses changes anyway (migration 0001's trigger); the admin does not offer them,
so no one meets a database error for trying. Supervisors see their centres' records and their
own actions (`audit.queries.records_visible_to`), as in the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from audit.models import AccessRecord, Action
from audit.queries import records_visible_to, served_centre_ids
from audit.services import record
from common.admin import RecordAdmin


@admin.register(AccessRecord)
class AccessRecordAdmin(RecordAdmin):
    centre_lookup = "centre_id"
    list_display = [
        "at",
        "actor_username",
        "actor_role",
        "action",
        "target_type",
        "target_label",
        "centre_id",
        "reason",
        "ip_address",
    ]
    list_filter = ["action", "target_type", "actor_role"]
    search_fields = ["actor_username", "target_label", "reason"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AccessRecord._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRecord]:
        return records_visible_to(request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Not even "delete selected" on the list page.
        return {}

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Searching the trail is recorded, here as in the API (audit.api).
        with transaction.atomic():
            response = super().changelist_view(request, extra_context)
            if request.method == "GET" and response.status_code == 200:
                centres = served_centre_ids(request.user)
                asked = {key: value[:200] for key, value in request.GET.items()}
                record(
                    actor=request.user,
                    action=Action.SEARCH_TRAIL,
                    target_type="access_records",
                    centre_id=centres[0] if len(centres) == 1 else None,
                    detail={"via": "admin", "filters": asked},
                    request=request,
                )
        return response
