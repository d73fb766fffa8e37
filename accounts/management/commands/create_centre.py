from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from accounts import services
from common.commands import JsonCommand
from common.geojson import parse_area


def read_area_file(path: str) -> Any:
    try:
        return parse_area(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: {exc}") from exc


class Command(JsonCommand):
    help = "Create a monitoring centre, or update the one with this slug (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--jurisdiction", required=True, help="GeoJSON file, WGS 84")
        parser.add_argument("--prefix", help="report reference prefix, e.g. NCE")
        parser.add_argument("--organisation", help="the authority running it (default: NAME)")

    def run(self, **options: Any) -> dict[str, Any]:
        prefix = options["prefix"] or re.sub(r"[^A-Z]", "", options["slug"].upper())[:3]
        organisation = services.ensure_organisation(options["organisation"] or options["name"])
        centre, created = services.create_centre(
            options["slug"],
            name=options["name"],
            jurisdiction=read_area_file(options["jurisdiction"]),
            reference_prefix=prefix,
            organisation=organisation,
        )
        return {
            "id": centre.pk,
            "slug": centre.slug,
            "prefix": centre.reference_prefix,
            "organisation": organisation.name,
            "created": created,
        }
