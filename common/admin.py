"""Admin bases shared by the apps.

Platform administrators (superusers) see everything; supervisors reach the admin too (they are
`is_staff`, with view permissions only, from their role) and see only the rows of the centres
they serve. Every ModelAdmin of the project takes `CentreScopedAdmin` and says, in
`centre_lookup`, how its rows reach a centre.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


def scope_to_centres(rows: QuerySet, user: Any, centre_lookup: str | None) -> QuerySet:
    """The rows of `rows` that belong to a centre `user` serves; all of them for a superuser.

    `centre_lookup` is the path from the row to its centre ("centre", "report__centre",
    "notification__recipient__centres", "pk" for the centres themselves). A path that crosses
    a to-many relation would repeat rows if joined, so it is asked as a subquery.
    """
    if user.is_superuser:
        return rows
    if not user.is_authenticated or not user.is_active:
        return rows.none()
    served = user.centres.values("pk")
    if not _repeats_rows(rows.model, centre_lookup):
        return rows.filter(**{f"{centre_lookup}__in": served})
    inside = rows.model._default_manager.filter(**{f"{centre_lookup}__in": served})
    return rows.filter(pk__in=inside.values("pk"))


def _repeats_rows(model: Any, lookup: str) -> bool:
    """Whether following `lookup` crosses a to-many relation (a join would repeat rows)."""
    for name in lookup.split("__"):
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


class CentreScopedAdmin(admin.ModelAdmin):
    """Rows of the centres the person serves (issue 9, "scoping everywhere").

    `centre_lookup = None` is for reference data the same for every centre (categories); it
    is shown unscoped, to whoever's role may view it.
    """

    centre_lookup: str | None = "centre"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        if self.centre_lookup is None:
            return rows
        return scope_to_centres(rows, request.user, self.centre_lookup)

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A "centre" filter would list every centre's name: offer only those among the rows.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (name, admin.RelatedOnlyFieldListFilter) if name in ("centre", "centres") else name
            for name in filters
        ]


class ReadOnlyAdmin(CentreScopedAdmin):
    """Rows that change only through their services: listed and read, never added or edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordAdmin(ReadOnlyAdmin):
    """A record (an audit, a history): not even deleted from here."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
