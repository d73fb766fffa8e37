from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.management.base import CommandError

from accounts import services
from accounts.models import STAFF_ROLES, MonitoringCentre, Role
from accounts.signin import staff_device
from common.commands import JsonCommand
from config.env import env_str


class Command(JsonCommand):
    help = (
        "Create an account (already approved), or update the one with this username. A staff "
        "account without an authenticator gets one: its otpauth:// URI is printed once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--centre", required=True, help="centre slug")
        parser.add_argument("--password", help="else the VIGIE_PASSWORD environment variable")
        parser.add_argument("--email", default="")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--lon", type=float, help="address point (residents, businesses)")
        parser.add_argument("--lat", type=float)

    def run(self, **options: Any) -> dict[str, Any]:
        password = options["password"] or env_str("VIGIE_PASSWORD")
        if not password:
            raise CommandError("give --password or set VIGIE_PASSWORD")
        centre = MonitoringCentre.objects.filter(slug=options["centre"]).first()
        if centre is None:
            raise CommandError(f"no centre with slug {options['centre']!r}")
        if (options["lon"] is None) != (options["lat"] is None):
            raise CommandError("--lon and --lat go together")
        location = None
        if options["lon"] is not None:
            if not (-180 <= options["lon"] <= 180 and -90 <= options["lat"] <= 90):
                raise CommandError("--lon must be within ±180 and --lat within ±90")
            location = Point(options["lon"], options["lat"], srid=4326)
        user, created = services.create_user(
            options["username"],
            role=options["role"],
            centre=centre,
            password=password,
            email=options["email"],
            full_name=options["full_name"],
            address_location=location,
        )
        result = {
            "id": user.pk,
            "username": user.username,
            "role": user.role,
            "status": user.status,
            "centres": list(user.centres.values_list("slug", flat=True)),
            "created": created,
        }
        if user.role in STAFF_ROLES and staff_device(user) is None:
            # Staff sign in with a code from an authenticator app: this is its secret, shown
            # this once (scan it as a QR code, or type the `secret` parameter by hand).
            result["otp_uri"] = services.set_up_two_factor(user).config_url
        return result
