"""`manage.py purge_expired [--dry-run] [--centre SLUG]`: the retention purge, by hand.

Prints one line per centre (and one for what belongs to no centre) saying what went, or with
`--dry-run` what would go, counted by kind; the last line is the JSON object scripts read. The
beat task `privacy.tasks.purge_expired` runs the same purge every VIGIE_RETENTION_SCAN_S.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from accounts.models import MonitoringCentre
from common.commands import JsonCommand
from common.errors import DomainError, NotFound
from privacy import retention


def _summary(counts: dict[str, Any]) -> str:
    kinds = [f"{number} {kind}" for kind, number in counts.items() if isinstance(number, int)]
    kinds = [k for k in kinds if not k.endswith(" retention_days")]
    return ", ".join(kinds) or "nothing"


class Command(JsonCommand):
    help = (
        "Delete reports (not on legal hold), media files, camera links, events, unit positions "
        "and notifications older than each centre's retention period; --dry-run only counts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--centre", help="slug of the one centre to purge")

    def run(self, **options: Any) -> dict[str, Any]:
        centres = None
        if options.get("centre"):
            centres = MonitoringCentre.objects.filter(slug=options["centre"])
            if not centres.exists():
                raise NotFound(f"No centre {options['centre']!r}.", code="unknown_centre")
        dry_run = bool(options.get("dry_run"))
        result = retention.purge_expired(dry_run=dry_run, centres=centres)
        verb = "would delete" if dry_run else "deleted"
        for slug, counts in result["centres"].items():
            self.stdout.write(
                f"{slug} (kept {counts['retention_days']} days, before {counts['cutoff']}): "
                f"{verb} {_summary(counts)}"
            )
        if "unowned" in result:
            self.stdout.write(
                f"no centre (before {result['unowned']['cutoff']}): "
                f"{verb} {_summary(result['unowned'])}"
            )
        return result

    def handle(self, *args: Any, **options: Any) -> None:
        # Not one transaction, unlike other JsonCommands: the purge commits batch by batch so
        # it never holds the centre's rows for long, and files go as each batch commits.
        try:
            result = self.run(**options)
        except DomainError as exc:
            self._fail(exc.code, exc.message, exc.fields)
            raise CommandError(exc.message) from exc
        except Exception as exc:
            self._fail("internal_error", f"{type(exc).__name__}: {exc}")
            raise
        self.stdout.write(json.dumps(result, ensure_ascii=False))
