"""`manage.py import_cameras FILE [--centre SLUG] [--format csv|geojson|osm]` (API.md, Cameras).

Each camera goes through `upsert_camera`, keyed on (centre, external id), so importing the same
file twice changes nothing and says so. A bad row is reported on its own line and counted; only
a file that cannot be read at all ends in a JSON error and exit status 1. The whole import is
one transaction (JsonCommand): a crash half-way leaves the registry as it was; each row is its
own savepoint inside it (upsert_camera is atomic), so one refused row does not undo the others.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import OutputWrapper

from accounts.models import MonitoringCentre
from accounts.queries import centre_covering
from cameras import importers
from cameras.importers import Row
from cameras.models import Camera
from cameras.services import is_unchanged, upsert_camera
from common.commands import JsonCommand
from common.errors import InvalidInput, NotFound

# Existing cameras are read in one query per centre and this many external ids.
CHUNK = 5000


class Progress:
    """A one-line bar on stderr, drawn only when stderr is a terminal (never into a log)."""

    def __init__(self, stream: OutputWrapper, total: int, label: str) -> None:
        self.stream, self.total, self.label = stream, total, label
        self.enabled = total > 0 and stream.isatty()
        self.drawn_at = 0.0

    def step(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < self.total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = 30 * done // self.total
        bar = "#" * filled + "." * (30 - filled)
        self._write(f"\r{self.label} [{bar}] {done}/{self.total}")

    def clear(self) -> None:
        """Wipe the bar, before a line is written to stdout or when done."""
        if self.enabled:
            self._write("\r\033[K")

    def _write(self, text: str) -> None:
        # Plain, not in the red Django gives stderr on a terminal, and no line end.
        self.stream.write(text, style_func=lambda plain: plain, ending="")
        self.stream.flush()


class Command(JsonCommand):
    help = (
        "Import cameras from CSV or GeoJSON in Vigie's columns, or from OpenStreetMap "
        "(Overpass JSON or GeoJSON). Idempotent: a re-import reports every camera unchanged."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--centre",
            help="slug of the centre for rows that name none (default: the centre whose "
            "jurisdiction covers the camera)",
        )
        parser.add_argument(
            "--format",
            choices=importers.FORMATS,
            help="default: guessed from the content and the extension",
        )

    def run(self, **options: Any) -> dict[str, Any]:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"{path}: {exc.strerror or exc}", code="unreadable_file") from exc
        try:
            batch = importers.read(raw, fmt=options["format"], filename=path.name)
        except importers.UnreadableFile as exc:
            raise InvalidInput(f"{path}: {exc}", code="unreadable_file") from exc
        fallback = None
        if options["centre"]:
            fallback = MonitoringCentre.objects.filter(slug=options["centre"]).first()
            if fallback is None:
                raise NotFound(f"No centre with the slug {options['centre']!r}.")
        for warning in batch.warnings:
            self.stdout.write(f"note: {warning}")

        self.counts: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        placed = self._place(batch.rows, fallback)
        existing = self._existing(placed)
        self._import(placed, existing)
        return {
            "format": batch.format,
            "created": self.counts["created"],
            "updated": self.counts["updated"],
            "unchanged": self.counts["unchanged"],
            "skipped": self.counts["skipped"],
            "reasons": dict(sorted(self.reasons.items())),
        }

    def _skip(self, row: Row, reason: str, detail: str, progress: Progress | None = None) -> None:
        self.counts["skipped"] += 1
        self.reasons[reason] += 1
        if progress:
            progress.clear()
        name = f" ({row.external_id})" if row.external_id else ""
        because = f" ({detail})" if detail else ""
        self.stdout.write(f"skipped {row.where}{name}: {reason}{because}")

    def _place(
        self, rows: list[Row], fallback: MonitoringCentre | None
    ) -> list[tuple[Row, MonitoringCentre]]:
        """Each row's centre: the one it names, else --centre, else the one covering it."""
        slugs = {row.centre for row in rows if row.centre and not row.skipped}
        named = {c.slug: c for c in MonitoringCentre.objects.filter(slug__in=slugs)}
        lookups = (
            sum(1 for row in rows if not row.skipped and not row.centre) if not fallback else 0
        )
        progress = Progress(self.stderr, lookups, "locating")
        placed: list[tuple[Row, MonitoringCentre]] = []
        done = 0
        for row in rows:
            if row.skipped:
                self._skip(row, row.reason, row.detail, progress)
                continue
            for note in row.notes:
                progress.clear()
                self.stdout.write(f"note: {row.where} ({row.external_id}): {note}")
            if row.centre:
                centre = named.get(row.centre)
                if centre is None:
                    self._skip(row, "unknown centre", f"centre={row.centre!r}", progress)
                    continue
            elif fallback:
                centre = fallback
            else:
                centre = centre_covering(row.fields["location"])
                done += 1
                progress.step(done)
                if centre is None:
                    where = row.fields["location"]
                    detail = f"no --centre, and no jurisdiction covers {where.x}, {where.y}"
                    self._skip(row, "no centre", detail, progress)
                    continue
            placed.append((row, centre))
        progress.clear()
        return placed

    def _existing(
        self, placed: list[tuple[Row, MonitoringCentre]]
    ) -> dict[tuple[int, str], Camera]:
        """The cameras these rows may already be, in one query per centre (per CHUNK ids)."""
        wanted: dict[int, list[str]] = {}
        for row, centre in placed:
            wanted.setdefault(centre.pk, []).append(row.external_id)
        found: dict[tuple[int, str], Camera] = {}
        for centre_id, ids in wanted.items():
            for start in range(0, len(ids), CHUNK):
                for camera in Camera.objects.filter(
                    centre_id=centre_id, external_id__in=ids[start : start + CHUNK]
                ):
                    found[(centre_id, camera.external_id)] = camera
        return found

    def _import(
        self,
        placed: list[tuple[Row, MonitoringCentre]],
        existing: dict[tuple[int, str], Camera],
    ) -> None:
        progress = Progress(self.stderr, len(placed), "importing")
        seen: dict[tuple[int, str], str] = {}
        for done, (row, centre) in enumerate(placed, 1):
            progress.step(done)
            key = (centre.pk, row.external_id)
            if key in seen:
                # Two rows for one camera would make every re-import an update: the first wins.
                self._skip(row, "duplicate external_id", f"already at {seen[key]}", progress)
                continue
            seen[key] = row.where
            camera = existing.get(key)
            if camera is not None and is_unchanged(camera, row.fields):
                self.counts["unchanged"] += 1
                continue
            try:
                _, outcome = upsert_camera(centre, row.external_id, **row.fields)
            except InvalidInput as exc:
                detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
                self._skip(row, "invalid value", detail or exc.message, progress)
                continue
            self.counts[outcome] += 1
        progress.clear()
