"""Response-time figures (issue 7): how long reports waited for each step, per centre and day.

For every report created in the period, four waits are measured from its `created_at`:

- acknowledged — until an operator acknowledged it (`Report.acknowledged_at`);
- dispatched, on_scene, resolved — until the first `InterventionEvent` to that state among all
  the report's interventions (a unit reassigned, or a second unit sent, does not restart the
  clock; a report never dispatched simply has no such wait).

Each group of reports (centre, local day of `created_at`, and optionally category or source)
gets its size `n` and, per step, how many reports reached it with the median and 90th
percentile of their waits (`percentile_cont`, interpolated, in seconds). Everything is computed
by PostgreSQL in one query; no row is looped over in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

STAGES = ("acknowledged", "dispatched", "on_scene", "resolved")
GROUPINGS = ("category", "source")
# The longest period one request may cover (a quarter), so the query stays cheap.
MAX_DAYS = 92


@dataclass(frozen=True)
class StageFigures:
    """The waits until one step: how many reports reached it, their median and p90 (s)."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class ResponseTimeRow:
    """One group of reports: a centre's local day, optionally one category or source."""

    centre: int
    day: date
    category: str | None
    source: str | None
    n: int
    acknowledged: StageFigures
    dispatched: StageFigures
    on_scene: StageFigures
    resolved: StageFigures

    def stage(self, name: str) -> StageFigures:
        figures: StageFigures = getattr(self, name)
        return figures


# Reports are picked by centre and by their creation instant between two local midnights (the
# `created_at` index does the work); `day` is the local date. The first time each report reached
# dispatched / on scene / resolved comes from its interventions' events; the same report filter
# is repeated in that subquery (rather than shared through a CTE, whose row estimate misleads
# the planner into a nested loop) so the events read are only those of the period's reports.
# `%(by)s` chooses the optional grouping key as data, not as SQL text. Percentiles ignore NULLs
# (steps not reached), are NULL when no report of the group reached the step, and are rounded
# to the millisecond.
_QUERY = """
SELECT centre_id,
       day,
       grp,
       COUNT(*) AS n,
       COUNT(acknowledged),
       ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY acknowledged))::numeric, 3),
       ROUND((PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY acknowledged))::numeric, 3),
       COUNT(dispatched),
       ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY dispatched))::numeric, 3),
       ROUND((PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY dispatched))::numeric, 3),
       COUNT(on_scene),
       ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY on_scene))::numeric, 3),
       ROUND((PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY on_scene))::numeric, 3),
       COUNT(resolved),
       ROUND((PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY resolved))::numeric, 3),
       ROUND((PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY resolved))::numeric, 3)
FROM (
    SELECT r.centre_id,
           (r.created_at AT TIME ZONE %(tz)s)::date AS day,
           CASE %(by)s::text WHEN 'category' THEN c.code WHEN 'source' THEN r.source END AS grp,
           EXTRACT(EPOCH FROM r.acknowledged_at - r.created_at)::float8 AS acknowledged,
           EXTRACT(EPOCH FROM x.dispatched_at - r.created_at)::float8 AS dispatched,
           EXTRACT(EPOCH FROM x.on_scene_at - r.created_at)::float8 AS on_scene,
           EXTRACT(EPOCH FROM x.resolved_at - r.created_at)::float8 AS resolved
    FROM reporting_report r
    JOIN reporting_category c ON c.id = r.category_id
    LEFT JOIN (
        SELECT i.report_id,
               MIN(e.at) FILTER (WHERE e.to_state = 'dispatched') AS dispatched_at,
               MIN(e.at) FILTER (WHERE e.to_state = 'on_scene') AS on_scene_at,
               MIN(e.at) FILTER (WHERE e.to_state = 'resolved') AS resolved_at
        FROM dispatch_intervention i
        JOIN dispatch_interventionevent e ON e.intervention_id = i.id
        WHERE e.to_state IN ('dispatched', 'on_scene', 'resolved')
          AND i.report_id IN (
              SELECT id
              FROM reporting_report
              WHERE centre_id = ANY(%(centres)s)
                AND created_at >= %(start)s
                AND created_at < %(end)s
          )
        GROUP BY i.report_id
    ) x ON x.report_id = r.id
    WHERE r.centre_id = ANY(%(centres)s)
      AND r.created_at >= %(start)s
      AND r.created_at < %(end)s
) waits
GROUP BY centre_id, day, grp
ORDER BY centre_id, day, grp
"""


def local_midnight(day: date) -> datetime:
    """The instant `day` starts in the deployment's time zone (DST-aware)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def _stage(count: int, median: Any, p90: Any) -> StageFigures:
    return StageFigures(count=count, median_s=_seconds(median), p90_s=_seconds(p90))


def response_times(
    *, centre_ids: list[int], since: date, until: date, group_by: str | None = None
) -> list[ResponseTimeRow]:
    """The response-time figures of reports created from `since` to `until` (local days,
    both included) in the given centres, one row per (centre, day[, category|source]) that has
    reports, ordered by centre, day and group.

    The caller has already scoped `centre_ids` to what the person may see and checked the
    period (`since <= until`, at most MAX_DAYS). `group_by` is None, "category" (rows carry the
    category's code) or "source" (rows carry the report's source).
    """
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS} or None, not {group_by!r}")
    if not centre_ids or until < since:
        return []
    params: dict[str, Any] = {
        "tz": settings.TIME_ZONE,
        "by": group_by or "",
        "centres": list(centre_ids),
        "start": local_midnight(since),
        "end": local_midnight(until + timedelta(days=1)),
    }
    with connection.cursor() as cursor:
        cursor.execute(_QUERY, params)
        found = cursor.fetchall()
    rows = []
    for centre, day, group, n, *figures in found:
        stages = [_stage(*figures[i : i + 3]) for i in range(0, len(figures), 3)]
        rows.append(
            ResponseTimeRow(
                centre=centre,
                day=day,
                category=group if group_by == "category" else None,
                source=group if group_by == "source" else None,
                n=n,
                acknowledged=stages[0],
                dispatched=stages[1],
                on_scene=stages[2],
                resolved=stages[3],
            )
        )
    return rows
