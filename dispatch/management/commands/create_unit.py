from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from accounts.models import MonitoringCentre, User
from common.commands import JsonCommand
from dispatch import services
from dispatch.models import Unit, UnitKind


class Command(JsonCommand):
    help = "Create a police unit (idempotent: an existing callsign of the centre is left as is)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("callsign")
        parser.add_argument("--centre", required=True, help="centre slug")
        parser.add_argument("--kind", choices=UnitKind.values, default=UnitKind.CAR)
        parser.add_argument("--members", default="", help="police usernames, comma-separated")

    def run(self, **options: Any) -> dict[str, Any]:
        centre = MonitoringCentre.objects.filter(slug=options["centre"]).first()
        if centre is None:
            raise CommandError(f"no centre with slug {options['centre']!r}")
        existing = Unit.objects.filter(centre=centre, callsign=options["callsign"]).first()
        if existing is not None:
            return {"id": existing.pk, "callsign": existing.callsign, "created": False}
        names = [name for name in options["members"].split(",") if name]
        members = list(User.objects.filter(username__in=names))
        unknown = sorted(set(names) - {m.username for m in members})
        if unknown:
            raise CommandError(f"unknown accounts: {', '.join(unknown)}")
        unit = services.create_unit(
            centre=centre, callsign=options["callsign"], kind=options["kind"], members=members
        )
        return {"id": unit.pk, "callsign": unit.callsign, "created": True}
