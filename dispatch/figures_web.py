"""Response-time figures as a console page (`/console/figures/`), rendered on the server.

The operator signs in on the console (a session); this page reads the same figures as the API
(`figures_api.figures_for`) and renders a form (GET), one bar chart per centre and step as
inline SVG drawn here, and a table. No script, and no inline style: the page runs under the
console's strict Content-Security-Policy, its styles in static/dispatch/figures.css.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.models import MonitoringCentre
from common.errors import InvalidInput, NotFound
from common.pages import page_language
from dispatch.figures import STAGES, ResponseTimeRow, response_times
from dispatch.figures_api import Figures, figures_for, record_export
from live.queries import console_centre_ids
from reporting.models import Category

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Temps de réponse",
        "back": "Retour à la console",
        "since": "Du",
        "until": "Au",
        "centre": "Centre",
        "all_centres": "Tous mes centres",
        "by": "Détail par",
        "by_none": "Aucun",
        "by_category": "Catégorie",
        "by_source": "Source",
        "show": "Afficher",
        "acknowledged": "Prise en compte",
        "dispatched": "Patrouille engagée",
        "on_scene": "Sur place",
        "resolved": "Résolu",
        "median": "Médiane",
        "p90": "90e centile",
        "p90_short": "p90",
        "count": "Nb",
        "day": "Jour",
        "group": "Groupe",
        "reports": "Signalements",
        "explain": "Délai depuis la création du signalement, par jour (heure locale, {tz}) : "
        "barre foncée = médiane, barre claire = 90e centile.",
        "no_data": "Aucun signalement sur cette période.",
        "bad_period": "Période invalide : des dates AAAA-MM-JJ, « au » après « du », "
        "au plus 92 jours.",
        "bad_form": "Vérifiez le formulaire.",
        "chart": "{stage}, {centre}",
        "bar": "{day} : médiane {median}, 90e centile {p90} ({count} signalements)",
        "source.resident": "Résident",
        "source.business": "Commerce",
        "source.alert_button": "Bouton d'alerte",
        "source.call_point": "Borne d'appel",
        "source.open311": "Client Open311",
    },
    "en": {
        "title": "Response times",
        "back": "Back to the console",
        "since": "From",
        "until": "To",
        "centre": "Centre",
        "all_centres": "All my centres",
        "by": "Break down by",
        "by_none": "Nothing",
        "by_category": "Category",
        "by_source": "Source",
        "show": "Show",
        "acknowledged": "Acknowledged",
        "dispatched": "Unit dispatched",
        "on_scene": "On scene",
        "resolved": "Resolved",
        "median": "Median",
        "p90": "90th percentile",
        "p90_short": "p90",
        "count": "No.",
        "day": "Day",
        "group": "Group",
        "reports": "Reports",
        "explain": "Time since the report was created, per local day ({tz}): "
        "dark bar = median, light bar = 90th percentile.",
        "no_data": "No reports in this period.",
        "bad_period": "Invalid period: YYYY-MM-DD dates, “to” on or after “from”, at most 92 days.",
        "bad_form": "Please check the form.",
        "chart": "{stage}, {centre}",
        "bar": "{day}: median {median}, 90th percentile {p90} ({count} reports)",
        "source.resident": "Resident",
        "source.business": "Business",
        "source.alert_button": "Alert button",
        "source.call_point": "Street call point",
        "source.open311": "Open311 client",
    },
}
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# The chart's drawing box (SVG user units; CSS scales it to the page's width).
WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 24
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Round tops for the vertical scale, in seconds; beyond a day, whole days.
NICE_TOPS = (10, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200)
X_LABELS_MAX = 8


def duration(seconds: float | None) -> str:
    """A wait as people read it: `45 s`, `2 min 05`, `3 min`, `1 h 20`; a dash when unknown."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest:02d}" if rest else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60:02d}" if rest // 60 else f"{hours} h"


def _short_day(day: date, language: str) -> str:
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]}"
    return f"{day.day:02d}/{day.month:02d}"


def _nice_top(seconds: float) -> int:
    for top in NICE_TOPS:
        if seconds <= top:
            return top
    return math.ceil(seconds / 86400) * 86400


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    median_y: float
    median_h: float
    p90_y: float
    p90_h: float
    title: str


@dataclass(frozen=True)
class Chart:
    id: str
    stage: str
    title: str
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) on the vertical axis
    days: list[tuple[float, str]]  # (x, label) under the bars


def _chart(
    chart_id: str, title: str, stage: str, rows: list[ResponseTimeRow], days: list[date], t: dict
) -> Chart:
    """One step of one centre: a bar per day, p90 (light) behind the median (dark)."""
    by_day = {row.day: row.stage(stage) for row in rows}
    highest = max((f.p90_s or 0.0 for f in by_day.values()), default=0.0)
    top = _nice_top(highest) if highest > 0 else 60
    slot = PLOT_W / len(days)
    width = max(slot * 0.7, 1.0)

    def y_of(seconds: float) -> float:
        return round(TOP + PLOT_H * (1 - seconds / top), 1)

    bars = []
    for index, day in enumerate(days):
        figures = by_day.get(day)
        if figures is None or figures.median_s is None or figures.p90_s is None:
            continue
        median_y, p90_y = y_of(figures.median_s), y_of(figures.p90_s)
        bars.append(
            Bar(
                x=round(LEFT + index * slot + (slot - width) / 2, 1),
                width=round(width, 1),
                median_y=median_y,
                median_h=round(TOP + PLOT_H - median_y, 1),
                p90_y=p90_y,
                p90_h=round(TOP + PLOT_H - p90_y, 1),
                title=t["bar"].format(
                    day=day.isoformat(),
                    median=duration(figures.median_s),
                    p90=duration(figures.p90_s),
                    count=figures.count,
                ),
            )
        )
    every = math.ceil(len(days) / X_LABELS_MAX)
    return Chart(
        id=chart_id,
        stage=stage,
        title=title,
        bars=bars,
        ticks=[(y_of(top * k / 2), duration(top * k / 2)) for k in range(3)],
        days=[
            (round(LEFT + (i + 0.5) * slot, 1), _short_day(day, t["lang"]))
            for i, day in enumerate(days)
            if i % every == 0
        ],
    )


def _charts(figures: Figures, rows: list[ResponseTimeRow], t: dict) -> list[dict[str, Any]]:
    """Per centre, one chart per step, from the figures without grouping."""
    span = (figures.until - figures.since).days + 1
    days = [figures.since + timedelta(days=i) for i in range(span)]
    sections = []
    for centre in figures.centres:
        own = [row for row in rows if row.centre == centre.pk]
        charts = [
            _chart(
                f"chart-{centre.pk}-{stage}",
                t["chart"].format(stage=t[stage], centre=centre.name),
                stage,
                own,
                days,
                t,
            )
            for stage in STAGES
        ]
        sections.append({"centre": centre, "charts": charts, "empty": not own})
    return sections


def _table(figures: Figures, t: dict) -> list[dict[str, Any]]:
    names = {centre.pk: centre.name for centre in figures.centres}
    labels: dict[str, str] = {}
    if figures.by == "category":
        codes = {row.category for row in figures.rows if row.category}
        labels = {c.code: c.label(t["lang"]) for c in Category.objects.filter(code__in=codes)}
    elif figures.by == "source":
        labels = {key[7:]: value for key, value in t.items() if key.startswith("source.")}
    table = []
    for row in figures.rows:
        group = row.category or row.source or ""
        table.append(
            {
                "centre": names.get(row.centre, row.centre),
                "day": row.day,
                "group": labels.get(group, group),
                "n": row.n,
                "stages": [
                    {
                        "count": row.stage(stage).count,
                        "median": duration(row.stage(stage).median_s),
                        "p90": duration(row.stage(stage).p90_s),
                    }
                    for stage in STAGES
                ],
            }
        )
    return table


def _centre_choices(served: list[int]) -> list[MonitoringCentre]:
    return list(MonitoringCentre.objects.filter(pk__in=served).order_by("name"))


def _secured(response: HttpResponse) -> HttpResponse:
    response["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    response["Cache-Control"] = "no-cache, private"
    return response


@require_safe
def response_times_page(request: HttpRequest) -> HttpResponse:
    """The figures page: operators and supervisors (their centres), administrators (all).

    Anyone not signed in is sent to the console to sign in; a signed-in person without the
    right role gets the 403 page; a centre not served is a 404, as in the API.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect("console")
    served = console_centre_ids(user)
    if not served or not user.has_perm("dispatch.dispatch_unit"):
        raise PermissionDenied
    language = page_language(request)
    t = {**STRINGS[language], "lang": language}
    t["explain"] = t["explain"].format(tz=settings.TIME_ZONE)
    asked = {key: value for key, value in request.GET.items() if value}
    context: dict[str, Any] = {
        "t": t,
        "stages": [{"key": stage, "label": t[stage]} for stage in STAGES],
        "form": asked,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "plot_right": WIDTH - RIGHT,
        "baseline": TOP + PLOT_H,
        "label_y": HEIGHT - 6,
    }
    try:
        with transaction.atomic():
            figures = figures_for(user, asked)
            record_export(user, figures, via="page", request=request)
    except InvalidInput as error:
        dates = {"since", "until"} & set(error.fields)
        context["error"] = t["bad_period"] if dates else t["bad_form"]
        context["centres"] = _centre_choices(served)
        return _secured(render(request, "dispatch/figures.html", context, status=400))
    except NotFound as error:
        raise Http404(error.message) from None
    overall = figures.rows
    if figures.by:
        overall = response_times(
            centre_ids=[c.pk for c in figures.centres], since=figures.since, until=figures.until
        )
    context.update(
        form={**asked, "since": figures.since.isoformat(), "until": figures.until.isoformat()},
        figures=figures,
        centres=_centre_choices(served),
        sections=_charts(figures, overall, t),
        table=_table(figures, t),
    )
    return _secured(render(request, "dispatch/figures.html", context))
