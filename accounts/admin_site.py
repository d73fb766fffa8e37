"""The admin's door: django-otp's admin site (a session must be verified by a second factor to
see any page), with Vigie's sign-in form and the same lockout and trail as the API's doors.

config/urls.py turns the one `admin.site` every app registers on into this class.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signin
from accounts.sessions import start_session_clock
from audit.models import Action
from audit.services import record

# Django's and django-otp's error codes, in the API's words, for the trail.
_REASONS = {
    "invalid_login": signin.InvalidCredentials.code,
    "inactive": signin.InvalidCredentials.code,
    "token_required": signin.OtpRequired.code,
    "invalid_token": signin.OtpInvalid.code,
    "otp_not_set_up": signin.OtpNotSetUp.code,
}


class AdminSignInForm(OTPAdminAuthenticationForm):
    """Username, password and the authenticator's code, in one step: each staff account has
    one device (`reset_otp` replaces it), so there is no list of devices to choose from."""

    otp_token = forms.CharField(
        required=False,
        max_length=16,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def clean(self) -> dict[str, Any]:
        if not settings.VIGIE_STAFF_OTP:
            return AdminAuthenticationForm.clean(self)
        return super().clean()

    def _chosen_device(self, user: Any) -> TOTPDevice:
        device = signin.staff_device(user)
        if device is None:
            raise forms.ValidationError(signin.OtpNotSetUp.message, code="otp_not_set_up")
        # clean_otp runs this inside its transaction: lock the device as the API's doors do.
        return TOTPDevice.objects.select_for_update().get(pk=device.pk)

    def _verify_token(self, user: Any, token: str, device: Any = None) -> Any:
        try:
            return super()._verify_token(user, "".join(token.split()), device)
        except forms.ValidationError:
            # A wrong code counts towards the lockout, as at the API's doors.
            signin.count_failure(self.request, user.get_username())
            raise


class VigieAdminSite(OTPAdminSite):
    login_form = AdminSignInForm

    def has_permission(self, request: HttpRequest) -> bool:
        if not settings.VIGIE_STAFF_OTP:  # a laptop demo (check --deploy warns)
            return AdminSite.has_permission(self, request)
        return super().has_permission(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # Audited here rather than through the user_logged_in / user_login_failed signals: the
        # signals also fire for the API's doors, which write their own rows with more detail.
        response = super().login(request, extra_context)
        if request.method != "POST":
            return response
        user = request.user
        if response.status_code == 302 and user.is_authenticated:
            start_session_clock(request.session)
            signin.signed_in(request, user, door="admin", device=getattr(user, "otp_device", None))
            return response
        if getattr(request, "axes_locked_out", False):
            reason = signin.LockedOut.code
        else:
            form = (getattr(response, "context_data", None) or {}).get("form")
            codes = [
                error.code
                for errors in (form.errors.as_data().values() if form is not None else [])
                for error in errors
            ]
            reason = next((_REASONS[c] for c in codes if c in _REASONS), codes[0] if codes else "")
        record(
            actor=None,
            action=Action.LOGIN_FAILED,
            username=request.POST.get("username", "")[:150],
            detail={"door": "admin", "reason": reason},
            request=request,
        )
        return response
