"""Devices are registered with `manage.py create_device` (it prints the secret once); here the
city's IT team edits them, rotates secrets, sets PINs and revokes, all through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from alerts import services
from alerts.models import Alert, Device, RefusedDeviceRequest
from common.admin import CentreScopedAdmin, RecordAdmin
from common.errors import DomainError, InvalidInput
from common.widgets import VigieMapWidget


class DeviceForm(forms.ModelForm):
    new_cancel_pin = forms.CharField(
        required=False, max_length=8, help_text="4 to 8 digits; leave empty to keep the PINs."
    )
    new_duress_pin = forms.CharField(
        required=False, max_length=8, help_text="Looks like a cancel, raises a duress alarm."
    )

    class Meta:
        model = Device
        fields = [*sorted(services.EDITABLE_FIELDS)]

    def clean(self) -> dict[str, Any]:
        """The services' own rules, shown on the form rather than failing on save."""
        data = super().clean()
        try:
            pins = data.get("new_cancel_pin") or "", data.get("new_duress_pin") or ""
            if pins[1] and not pins[0]:
                raise InvalidInput(fields={"new_cancel_pin": ["needed with a duress PIN"]})
            if pins[0]:
                services.check_pin(pins[0], field="new_cancel_pin")
            if pins[1]:
                services.check_pin(pins[1], field="new_duress_pin")
            account = data.get("dc09_account") or None
            services.check_dc09(account, data.get("dc09_key") or "")
            services.check_dc09_account_free(account, device=self.instance)
        except DomainError as error:
            for field, messages in error.fields.items():
                self.add_error(field if field in self.fields else None, messages)
            if not error.fields:
                self.add_error(None, error.message)
        return data


@admin.register(Device)
class DeviceAdmin(CentreScopedAdmin, GISModelAdmin):
    form = DeviceForm
    gis_widget = VigieMapWidget
    list_display = [
        "name",
        "kind",
        "centre",
        "status",
        "online",
        "last_heartbeat_at",
        "dc09_account",
    ]
    list_filter = ["kind", "status", "online", "centre"]
    search_fields = ["name", "dc09_account", "sip_uri"]
    readonly_fields = ["kind", "centre", "location", "owner", "status", "secret_rotated_at"]
    actions = ["rotate_secrets", "revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py create_device`: the secret must be shown once, to a script

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        pins = (changed.pop("new_cancel_pin", ""), changed.pop("new_duress_pin", ""))
        if changed:
            services.update_device(obj, **changed)
        if any(pins):
            services.set_pins(obj, cancel_pin=pins[0], duress_pin=pins[1])

    @admin.action(description="Rotate the secret (the old one is refused at once)")
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            device = services.rotate_secret(device, by=request.user)
            self.message_user(
                request,
                f"{device}: new secret {device.secret} (shown once; load it into the device).",
                messages.WARNING,
            )

    @admin.action(description="Revoke (every request from it is refused)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            services.revoke_device(device, by=request.user)
        self.message_user(request, f"{queryset.count()} device(s) revoked.")


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    centre_lookup = "device__centre"
    list_display = [
        "created_at",
        "report",
        "device",
        "kind",
        "channel",
        "cancelled_at",
        "duress_at",
    ]
    list_filter = ["kind", "channel"]
    list_select_related = ["report", "device"]


@admin.register(RefusedDeviceRequest)
class RefusedDeviceRequestAdmin(RecordAdmin):
    # A request from no known device belongs to no centre: platform administrators only.
    centre_lookup = "device__centre"
    list_display = ["at", "reason", "claimed_device", "device", "channel", "remote_address"]
    list_filter = ["reason", "channel"]
