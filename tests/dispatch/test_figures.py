"""Response-time figures (issue 7): exact medians and p90s on a known data set, by the API and
on the console's figures page.

Reports and interventions are made through the services, then their timestamps are moved to
fixed instants with `.update()`, so every expected figure can be checked by hand:
percentile_cont interpolates, so the p90 of 10, 20, 30, 40, 50 s is 40 + 0.6 × 10 = 46 s.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch.figures import response_times
from dispatch.figures_web import duration
from dispatch.models import InterventionEvent
from dispatch.services import dispatch_unit, transition_intervention
from reporting.models import Report
from reporting.services.triage import acknowledge_report
from tests.factories import file_report
from tests.pages import PageParts, csp_of

pytestmark = pytest.mark.django_db

PARIS_TIME = ZoneInfo("Europe/Paris")
DAY = date(2026, 1, 15)  # winter: Paris is UTC+1
URL = "/api/v1/figures/response-times/"
PAGE = "/console/figures/"
MOVES = ["acknowledged", "en_route", "on_scene", "resolved"]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS_TIME)


def handled(author, *, created, operator, unit=None, ack=None, reached=None, **fields):
    """A report filed at `created` and acknowledged `ack` seconds later; with `reached`
    ({"dispatched": s, "on_scene": s, "resolved": s}), `unit` is sent and moved up to the last
    step named, each step's event `s` seconds after creation. An intervention that stops short
    of resolved is cancelled afterwards, so the unit is free for the next report."""
    report = file_report(author, **fields)
    if reached:
        intervention = dispatch_unit(report, unit=unit, operator=operator)
        upto = max((MOVES.index(step) + 1 for step in reached if step in MOVES), default=0)
        for step in MOVES[:upto]:
            extra = {"outcome": "warning"} if step == "resolved" else {}
            transition_intervention(intervention, to=step, by=operator, **extra)
        if "resolved" not in reached:
            transition_intervention(intervention, to="cancelled", by=operator)
        for step, after in reached.items():
            InterventionEvent.objects.filter(intervention=intervention, to_state=step).update(
                at=created + timedelta(seconds=after)
            )
    elif ack is not None:
        acknowledge_report(report, operator=operator)
    Report.objects.filter(pk=report.pk).update(
        created_at=created,
        acknowledged_at=None if ack is None else created + timedelta(seconds=ack),
    )
    return report


def stage(count, median, p90):
    return {"count": count, "median_s": median, "p90_s": p90}


@pytest.fixture
def known_day(paris, resident, operator, unit):
    """Six reports of Paris on DAY: five acknowledged after 10…50 s, three dispatched after
    60/120/180 s, two on scene after 300/500 s, one resolved after 1,000 s, one left new."""
    waits = [
        (10, {"dispatched": 60, "on_scene": 300, "resolved": 1000}),
        (20, {"dispatched": 120, "on_scene": 500}),
        (30, {"dispatched": 180}),
        (40, None),
        (50, None),
    ]
    for hour, (ack, reached) in enumerate(waits, start=8):
        handled(
            resident,
            created=local(DAY, hour),
            operator=operator,
            unit=unit,
            ack=ack,
            reached=reached,
        )
    handled(resident, created=local(DAY, 14), operator=operator)


def figures_of(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_medians_and_p90s_of_every_step_on_a_known_day(known_day, paris, operator, as_user):
    body = figures_of(as_user(operator), since="2026-01-15", until="2026-01-15")

    assert (body["since"], body["until"], body["by"]) == ("2026-01-15", "2026-01-15", None)
    assert body["time_zone"] == "Europe/Paris"
    assert [c["id"] for c in body["centres"]] == [paris.pk]
    assert body["rows"] == [
        {
            "centre": paris.pk,
            "day": "2026-01-15",
            "category": None,
            "source": None,
            "n": 6,
            "acknowledged": stage(5, 30.0, 46.0),
            "dispatched": stage(3, 120.0, 168.0),
            "on_scene": stage(2, 400.0, 480.0),
            "resolved": stage(1, 1000.0, 1000.0),
        }
    ]


def test_the_figures_are_one_query_whatever_the_number_of_reports(known_day, paris):
    with CaptureQueriesContext(connection) as queries:
        rows = response_times(centre_ids=[paris.pk], since=DAY, until=DAY, group_by="source")
    assert len(queries) == 1
    assert "percentile_cont" in queries[0]["sql"].lower()
    assert [(r.source, r.n, r.acknowledged.median_s) for r in rows] == [("resident", 6, 30.0)]


def test_the_first_dispatch_of_any_intervention_counts(paris, resident, operator, unit, as_user):
    created = local(DAY, 9)
    report = handled(
        resident, created=created, operator=operator, unit=unit, ack=5, reached={"dispatched": 60}
    )
    again = dispatch_unit(report, unit=unit, operator=operator)
    for step in MOVES:
        extra = {"outcome": "arrest"} if step == "resolved" else {}
        transition_intervention(again, to=step, by=operator, **extra)
    for step, after in {"dispatched": 200, "on_scene": 400, "resolved": 900}.items():
        InterventionEvent.objects.filter(intervention=again, to_state=step).update(
            at=created + timedelta(seconds=after)
        )

    [row] = figures_of(as_user(operator), since="2026-01-15", until="2026-01-15")["rows"]

    assert row["dispatched"] == stage(1, 60.0, 60.0)
    assert row["on_scene"] == stage(1, 400.0, 400.0)
    assert row["resolved"] == stage(1, 900.0, 900.0)


def test_grouped_by_category_and_by_source(paris, resident, business, operator, as_user):
    for author, category, ack in [
        (resident, "fight", 10),
        (resident, "fight", 30),
        (resident, "theft", 100),
        (business, "fight", 50),
    ]:
        handled(author, created=local(DAY, 10), operator=operator, ack=ack, category=category)
    console = as_user(operator)

    by_category = figures_of(console, since="2026-01-15", until="2026-01-15", by="category")
    assert by_category["by"] == "category"
    assert [
        (r["category"], r["source"], r["n"], r["acknowledged"]) for r in by_category["rows"]
    ] == [
        ("fight", None, 3, stage(3, 30.0, 46.0)),
        ("theft", None, 1, stage(1, 100.0, 100.0)),
    ]

    by_source = figures_of(console, since="2026-01-15", until="2026-01-15", by="source")
    assert [(r["source"], r["category"], r["n"], r["acknowledged"]) for r in by_source["rows"]] == [
        ("business", None, 1, stage(1, 50.0, 50.0)),
        ("resident", None, 3, stage(3, 30.0, 86.0)),
    ]
    assert all(r["dispatched"] == stage(0, None, None) for r in by_source["rows"])


def test_days_are_local_days(paris, resident, operator, as_user):
    # 23:30 on the 15th and 00:30 on the 16th in Paris are both on the 15th in UTC.
    late = handled(resident, created=local(DAY, 23, 30), operator=operator, ack=10)
    early = handled(resident, created=local(DAY + timedelta(days=1), 0, 30), operator=operator)
    utc_days = {r.created_at.date() for r in Report.objects.filter(pk__in=[late.pk, early.pk])}
    assert utc_days == {DAY}
    # Just before the period starts: 23:59 local on the 14th.
    handled(resident, created=local(DAY - timedelta(days=1), 23, 59), operator=operator, ack=99)
    console = as_user(operator)

    rows = figures_of(console, since="2026-01-15", until="2026-01-16")["rows"]
    assert [(r["day"], r["n"], r["acknowledged"]["count"]) for r in rows] == [
        ("2026-01-15", 1, 1),
        ("2026-01-16", 1, 0),
    ]
    only_16th = figures_of(console, since="2026-01-16", until="2026-01-16")["rows"]
    assert [(r["day"], r["n"]) for r in only_16th] == [("2026-01-16", 1)]


def test_a_summer_day_is_cut_at_local_midnight_too(paris, resident, operator, as_user):
    summer = date(2026, 7, 1)  # Paris is UTC+2
    handled(resident, created=local(summer, 0, 30), operator=operator, ack=7)
    handled(resident, created=local(summer, 23, 45), operator=operator, ack=9)

    rows = figures_of(as_user(operator), since="2026-07-01", until="2026-07-01")["rows"]

    assert [(r["day"], r["n"], r["acknowledged"]["median_s"]) for r in rows] == [
        ("2026-07-01", 2, 8.0)
    ]


def test_the_last_seven_days_by_default(paris, resident, operator, as_user):
    today = timezone.localdate()
    handled(resident, created=local(today, 0, 1), operator=operator, ack=12)
    handled(resident, created=local(today - timedelta(days=7), 12), operator=operator, ack=1)

    body = figures_of(as_user(operator))

    assert body["until"] == today.isoformat()
    assert body["since"] == (today - timedelta(days=6)).isoformat()
    assert [(r["day"], r["acknowledged"]["median_s"]) for r in body["rows"]] == [
        (today.isoformat(), 12.0)
    ]


def test_operators_see_only_the_centres_they_serve(
    known_day, paris, saint_denis, outsider_operator, admin_user, as_user
):
    outsider = as_user(outsider_operator)
    body = figures_of(outsider, since="2026-01-15", until="2026-01-15")
    assert [c["id"] for c in body["centres"]] == [saint_denis.pk]
    assert body["rows"] == []

    refused = outsider.get(URL, {"centre": paris.pk})
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"

    # Administrators see every centre.
    everyone = figures_of(as_user(admin_user), since="2026-01-15", until="2026-01-15")
    assert {c["id"] for c in everyone["centres"]} == {paris.pk, saint_denis.pk}
    assert [r["centre"] for r in everyone["rows"]] == [paris.pk]
    one = figures_of(as_user(admin_user), since="2026-01-15", until="2026-01-15", centre=paris.pk)
    assert [c["id"] for c in one["centres"]] == [paris.pk]


def test_only_centre_staff_may_read_the_figures(api, resident, police_officer, as_user):
    assert api.get(URL).status_code == 401
    for user in (resident, police_officer):
        refused = as_user(user).get(URL)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"until": "15/01/2026"}, "until"),
        ({"since": "2026-01-16", "until": "2026-01-15"}, "until"),
        ({"since": "2026-01-01", "until": "2026-04-03"}, "until"),  # 93 days
        ({"by": "priority"}, "by"),
        ({"centre": "paris"}, "centre"),
    ],
)
def test_bad_parameters_are_a_400_in_the_contract_shape(operator, as_user, params, field):
    response = as_user(operator).get(URL, params)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_ninety_two_days_is_allowed(operator, as_user):
    body = figures_of(as_user(operator), since="2026-01-01", until="2026-04-02")
    assert (body["since"], body["until"]) == ("2026-01-01", "2026-04-02")


# --- the console page ------------------------------------------------------------------------


def page_of(client, **headers):
    response = client.get(PAGE, {"since": "2026-01-15", "until": "2026-01-15"}, **headers)
    parts = PageParts()
    parts.feed(response.content.decode())
    return response, parts


def test_the_page_shows_the_figures_as_a_table_and_charts(known_day, client, operator):
    client.force_login(operator)

    response, parts = page_of(client)

    assert response.status_code == 200
    html = response.content.decode()
    assert parts.html_lang == "fr"
    assert "Temps de réponse" in html
    assert 'datetime="2026-01-15"' in html
    # The table: acknowledged 30 s / 46 s, dispatched 2 min / 2 min 48, on scene 6 min 40 /
    # 8 min, resolved 16 min 40.
    for shown in ["30 s", "46 s", "2 min", "2 min 48", "6 min 40", "8 min", "16 min 40"]:
        assert f'<td class="num">{shown}</td>' in html, shown
    # One chart per step, drawn on the server: a median and a p90 bar for the day.
    assert html.count('<svg class="chart"') == 4
    assert html.count('<rect class="median"') == 4
    assert html.count('<rect class="p90"') == 4
    assert "médiane 30 s, 90e centile 46 s" in html
    assert not parts.scripts


def test_the_page_is_served_under_a_strict_policy_with_nothing_inline(known_day, client, operator):
    client.force_login(operator)

    response, parts = page_of(client)

    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert response["Cache-Control"] == "no-cache, private"
    assert parts.inline_anything == 0
    assert parts.stylesheets == ["/static/dispatch/figures.css"]
    assert finders.find("dispatch/figures.css")


def test_the_page_speaks_english_on_request_and_groups(known_day, client, operator):
    client.force_login(operator)

    response = client.get(
        PAGE,
        {"since": "2026-01-15", "until": "2026-01-15", "by": "category", "centre": ""},
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Response times" in html
    assert "<td>Fight, gang gathering</td>" in html
    assert '<option value="category" selected>' in html
    # The charts stay per day across categories.
    assert html.count('<rect class="median"') == 4


def test_the_page_refuses_strangers_and_says_what_is_wrong(
    client, operator, resident, outsider_operator, paris
):
    assert client.get(PAGE).url == "/console/"

    client.force_login(resident)
    assert client.get(PAGE).status_code == 403

    client.force_login(outsider_operator)
    assert client.get(PAGE, {"centre": paris.pk}).status_code == 404

    client.force_login(operator)
    response = client.get(PAGE, {"since": "2026-01-01", "until": "2026-06-01"})
    assert response.status_code == 400
    assert "Période invalide" in response.content.decode()
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (0.4, "0 s"), (59.4, "59 s"), (60, "1 min"), (125, "2 min 05"), (3600, "1 h")]
    + [(4830, "1 h 20"), (90000, "25 h")],
)
def test_waits_read_as_people_read_them(seconds, shown):
    assert duration(seconds) == shown


def test_the_api_answers_in_a_fixed_number_of_queries(
    known_day, operator, as_user, django_assert_num_queries
):
    console = as_user(operator)
    # Session, user, two for permissions, centres served, centres named, the figures, and the
    # export's access record (savepoint, insert, release).
    with django_assert_num_queries(10):
        response = console.get(URL, {"since": "2026-01-15", "until": "2026-01-15", "by": "source"})
    assert response.status_code == 200
