"""System checks for accounts (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def staff_second_factor(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """`VIGIE_STAFF_OTP=0` is for a laptop demo: on a real system staff sign in with a code."""
    if settings.VIGIE_STAFF_OTP or settings.DEBUG:
        return []
    return [
        Warning(
            "Staff sign in without a second factor (VIGIE_STAFF_OTP is off).",
            hint="Unset VIGIE_STAFF_OTP (it defaults to on) and give each staff member an "
            "authenticator with `manage.py reset_otp USERNAME`.",
            id="accounts.W001",
        )
    ]
