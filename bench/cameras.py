"""How long does one report's camera ranking take at a metropolis's scale?

Loads 50,000 and then 500,000 cameras over Paris (mixed kinds, random headings) into a
database of its own, then times `cameras.queries.ranked_links` for 1,000 random report points
on a warm connection, and prints the median, p90 and p99. Target (issue 4): p99 under 10 ms at
50,000 cameras on the 2-core machine.

    make bench            (or: .venv/bin/python bench/cameras.py [--sizes 50000,500000])

The database is `vigie_bench` on the local server unless BENCH_DATABASE_URL says otherwise; it
is created if missing and its cameras are replaced on each run. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgis:///vigie_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.database import ensure_database  # noqa: E402

PARIS_BBOX = (2.2242, 48.8156, 2.4699, 48.9022)


def load_cameras(centre_id: int, count: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cameras_camera CASCADE")
        # Generated in the database: a realistic mix of kinds, headings, ranges and heights.
        cursor.execute(
            """
            INSERT INTO cameras_camera (
                centre_id, external_id, name, kind, status, location, height_m, heading_deg,
                fov_deg, range_m, pan_zero_deg, pan_min_deg, pan_max_deg, tilt_min_deg,
                tilt_max_deg, zoom_max, presets, stream_url, snapshot_url, vms_ref,
                ptz_driver, onvif_url, created_at, updated_at)
            SELECT %(centre)s, 'bench-' || n, '', k.kind, 'active',
                   ST_SetSRID(ST_MakePoint(%(w)s + random() * (%(e)s - %(w)s),
                                           %(s)s + random() * (%(n)s - %(s)s)), 4326)::geography,
                   4 + random() * 8,
                   CASE WHEN k.kind IN ('fixed', 'thermal') THEN random() * 360 END,
                   CASE WHEN k.kind IN ('fixed', 'thermal') THEN 40 + random() * 50 END,
                   60 + random() * 140, random() * 360, -180, 180, -90, 10, 20, '{}',
                   '', '', '', 'simulated', '', now(), now()
            FROM generate_series(1, %(count)s) AS n
            CROSS JOIN LATERAL (SELECT (ARRAY['fixed', 'fixed', 'dome', 'ptz', 'thermal'])
                                [1 + floor(random() * 5 + n * 0)::int] AS kind) AS k
            """,
            {
                "centre": centre_id,
                "count": count,
                "w": PARIS_BBOX[0],
                "s": PARIS_BBOX[1],
                "e": PARIS_BBOX[2],
                "n": PARIS_BBOX[3],
            },
        )
        cursor.execute("ANALYZE cameras_camera")
    return time.perf_counter() - started


def time_ranking(samples: int, seed: int) -> tuple[list[float], float]:
    from django.contrib.gis.geos import Point

    from cameras.queries import ranked_links

    rng = random.Random(seed)  # noqa: S311 - reproducible sample points, not secrets
    points = [
        Point(
            rng.uniform(PARIS_BBOX[0], PARIS_BBOX[2]),
            rng.uniform(PARIS_BBOX[1], PARIS_BBOX[3]),
            srid=4326,
        )
        for _ in range(samples)
    ]
    for point in points[:50]:  # warm the connection, PostGIS and the index pages
        ranked_links(point)
    timings, found = [], 0
    for point in points:
        started = time.perf_counter()
        rows = ranked_links(point)
        timings.append((time.perf_counter() - started) * 1000)
        found += len(rows)
    return timings, found / samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,500000")
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()

    ensure_database()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tests.factories import outline

    call_command("migrate", verbosity=0)
    from accounts import services

    centre, _ = services.create_centre(
        "bench-paris",
        name="Bench Paris",
        jurisdiction=outline("paris"),
        reference_prefix="BNC",
        organisation=services.ensure_organisation("Bench"),
    )
    print(
        f"radius {settings.VIGIE_CAMERA_SEARCH_RADIUS_M} m, at most "
        f"{settings.VIGIE_CAMERA_LINKS_MAX} links, {args.samples} report points over Paris"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        load_s = load_cameras(centre.pk, size)
        timings, per_report = time_ranking(args.samples, seed=size)
        print(
            f"{size:>8,} cameras (loaded in {load_s:5.1f} s): "
            f"median {statistics.median(timings):6.2f} ms, p90 {percentile(timings, 0.9):6.2f} ms, "
            f"p99 {percentile(timings, 0.99):6.2f} ms, max {max(timings):6.2f} ms; "
            f"{per_report:.1f} links per report"
        )


if __name__ == "__main__":
    main()
