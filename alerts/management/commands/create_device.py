from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point
from django.core.management.base import CommandError

from accounts.models import MonitoringCentre, User
from alerts import services
from alerts.models import DeviceKind
from common.commands import JsonCommand


class Command(JsonCommand):
    help = "Register an alert button or call point; prints its id and secret, once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", required=True, choices=DeviceKind.values)
        parser.add_argument("--centre", required=True, help="centre slug")
        parser.add_argument("--lon", type=float, required=True)
        parser.add_argument("--lat", type=float, required=True)
        parser.add_argument("--name", required=True, help="the place, as operators will read it")
        parser.add_argument("--owner", help="username of the business account it belongs to")
        parser.add_argument("--mobile", action="store_true", help="sends its own position")
        parser.add_argument("--heartbeat", type=int, default=300, help="interval in seconds")
        parser.add_argument("--sip-uri", default="", help="call points: where to call back")
        parser.add_argument("--dc09-account", help="SIA DC-09 account number (hex)")
        parser.add_argument("--dc09-key", default="", help="SIA DC-09 AES key (hex)")
        parser.add_argument("--cancel-pin", default="")
        parser.add_argument("--duress-pin", default="")

    def run(self, **options: Any) -> dict[str, Any]:
        centre = MonitoringCentre.objects.filter(slug=options["centre"]).first()
        if centre is None:
            raise CommandError(f"no centre with slug {options['centre']!r}")
        if not (-180 <= options["lon"] <= 180 and -90 <= options["lat"] <= 90):
            raise CommandError("--lon must be within ±180 and --lat within ±90")
        owner = None
        if options["owner"]:
            owner = User.objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"no account {options['owner']!r}")
        if options["duress_pin"] and not options["cancel_pin"]:
            raise CommandError("--duress-pin needs --cancel-pin")
        device = services.register_device(
            kind=options["kind"],
            centre=centre,
            location=Point(options["lon"], options["lat"], srid=4326),
            name=options["name"],
            owner=owner,
            mobile=options["mobile"],
            heartbeat_interval_s=options["heartbeat"],
            sip_uri=options["sip_uri"],
            cancel_pin=options["cancel_pin"],
            duress_pin=options["duress_pin"],
            dc09_account=options["dc09_account"],
            dc09_key=options["dc09_key"],
        )
        return {
            "id": device.pk,
            "secret": device.secret,
            "kind": device.kind,
            "centre": centre.slug,
        }
