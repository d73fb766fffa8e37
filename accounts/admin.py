from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import MonitoringCentre, Organisation, User, VettingDecision
from common.admin import CentreScopedAdmin, RecordAdmin
from common.errors import DomainError
from common.widgets import VigieMapWidget


@admin.register(Organisation)
class OrganisationAdmin(CentreScopedAdmin):
    centre_lookup = "centres"
    list_display = ["name", "kind", "created_at"]
    search_fields = ["name"]


class MonitoringCentreForm(forms.ModelForm):
    class Meta:
        model = MonitoringCentre
        fields = [
            "organisation",
            "slug",
            "name",
            "reference_prefix",
            "retention_days",
            "jurisdiction",
        ]

    def clean_jurisdiction(self):
        # The map widget's text is parsed by GDAL, which would honour a `crs` member: refuse
        # it, as every other geometry input does (why gis.W001 may be silenced).
        try:
            submitted = json.loads(self.data.get("jurisdiction") or "null")
        except ValueError:
            submitted = None  # WKT or garbage: GDAL's own parsing reports it
        if isinstance(submitted, dict) and "crs" in submitted:
            raise forms.ValidationError("A 'crs' member is not accepted: use WGS 84 GeoJSON.")
        try:
            return services.as_multipolygon(self.cleaned_data["jurisdiction"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(MonitoringCentre)
class MonitoringCentreAdmin(CentreScopedAdmin, GISModelAdmin):
    centre_lookup = "pk"
    form = MonitoringCentreForm
    gis_widget = VigieMapWidget
    list_display = ["name", "slug", "reference_prefix", "organisation", "retention_days"]
    list_filter = ["organisation"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class VettingDecisionInline(admin.TabularInline):
    model = VettingDecision
    fk_name = "member"
    extra = 0
    can_delete = False
    fields = readonly_fields = ["decided_at", "from_status", "to_status", "decided_by", "reason"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _vetting_action(verb: str, service, reason: str):
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for member in queryset:
            try:
                service(member, by=request.user, reason=reason)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{member}: {exc.message}", messages.WARNING)
        modeladmin.message_user(request, f"{done} account(s) {verb}.", messages.SUCCESS)

    action.__name__ = f"{verb}_members"
    action.short_description = f"Mark selected residents/businesses {verb}"
    action.allowed_permissions = ("vet",)
    return action


class PasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            # As `services.change_password` does: a new password signs out every app.
            services.end_all_app_tokens(user)
        return user


@admin.register(User)
class VigieUserAdmin(CentreScopedAdmin, UserAdmin):
    centre_lookup = "centres"
    change_password_form = PasswordChangeForm
    list_display = ["username", "full_name", "role", "status", "email", "is_active"]
    list_filter = ["role", "status", "centres", "is_active"]
    search_fields = ["username", "full_name", "email", "phone"]
    # Role, vetting status and the groups that follow from the role change only through the
    # services (create_user, the vetting API and actions), which keep them consistent and
    # write the history; the admin shows them.
    readonly_fields = [
        "role",
        "status",
        "groups",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    filter_horizontal = ["centres"]
    inlines = [VettingDecisionInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["full_name", "email", "phone", "language"]}),
        ("Role and vetting", {"fields": ["role", "status", "centres"]}),
        ("Address", {"fields": ["address", "address_location"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = [
        # The admin offers approval only; suspending or revoking asks for a reason, through
        # the vetting API, so that every such decision says why.
        _vetting_action("approved", services.approve_member, "approved in the admin"),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are made by `create_user` or by enrolment, which set role, groups and status.
        return False

    def has_vet_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.vet_member")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "address_location":
            kwargs["widget"] = VigieMapWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(VettingDecision)
class VettingDecisionAdmin(RecordAdmin):
    centre_lookup = "member__centres"
    list_display = ["decided_at", "member", "from_status", "to_status", "decided_by"]
    list_filter = ["to_status"]
    search_fields = ["member__username", "reason"]
    readonly_fields = ["member", "from_status", "to_status", "decided_by", "reason", "decided_at"]
