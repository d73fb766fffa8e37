"""Give a staff member a new authenticator secret (enrolment, or a lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from accounts import services
from accounts.models import User
from common.commands import JsonCommand


class Command(JsonCommand):
    help = (
        "Replace a staff member's authenticator (TOTP) secret and print its otpauth:// URI once; "
        "codes from the old one stop working at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def run(self, **options: Any) -> dict[str, Any]:
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"no account named {options['username']!r}")
        device = services.set_up_two_factor(user)
        return {"username": user.username, "role": user.role, "otp_uri": device.config_url}
