"""A whole intervention, from report to resolution, as the console sees it."""

from __future__ import annotations

import pytest

from dispatch.models import InterventionEvent
from live.models import Event
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def test_an_intervention_from_report_to_resolution(
    paris, resident, operator, police_officer, unit, as_user
):
    report = file_report(resident, category="fight")
    console, police = as_user(operator), as_user(police_officer)
    start = Event.objects.filter(centre=paris).count()

    suggested = console.get(f"/api/v1/reports/{report.pk}/suggested-units/")
    assert suggested.status_code == 200, suggested.content
    assert [u["id"] for u in suggested.json()] == [unit.pk]
    assert 250 < suggested.json()[0]["distance_m"] < 350

    sent = console.post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert sent.status_code == 201, sent.content
    intervention = sent.json()["id"]
    for step in ["acknowledged", "en_route", "on_scene"]:
        moved = police.post(
            f"/api/v1/interventions/{intervention}/transition/", {"to": step}, format="json"
        )
        assert moved.status_code == 200, moved.content
    done = police.post(
        f"/api/v1/interventions/{intervention}/transition/",
        {"to": "resolved", "outcome": "warning", "note": "Group dispersed."},
        format="json",
    )
    assert done.status_code == 200, done.content

    report.refresh_from_db()
    unit.refresh_from_db()
    assert (report.status, unit.status) == ("resolved", "available")
    assert list(
        InterventionEvent.objects.filter(intervention_id=intervention).values_list(
            "to_state", flat=True
        )
    ) == ["dispatched", "acknowledged", "en_route", "on_scene", "resolved"]
    seen = [
        (e.type, e.data.get("state") or e.data.get("status"))
        for e in Event.objects.filter(centre=paris).order_by("seq")[start:]
    ]
    assert seen == [
        ("unit.updated", "busy"),
        ("report.updated", "acknowledged"),
        ("report.updated", "dispatched"),
        ("intervention.updated", "dispatched"),
        ("intervention.updated", "acknowledged"),
        ("intervention.updated", "en_route"),
        ("intervention.updated", "on_scene"),
        ("unit.updated", "available"),
        ("report.updated", "resolved"),
        ("intervention.updated", "resolved"),
    ]


def test_police_read_the_reports_their_unit_is_sent_to_and_no_other(
    resident, operator, police_officer, unit, as_user
):
    from dispatch.services import dispatch_unit

    sent_to = file_report(resident, category="fight")
    elsewhere = file_report(resident, category="theft")
    dispatch_unit(sent_to, unit=unit, operator=operator)
    police = as_user(police_officer)

    listed = police.get("/api/v1/reports/")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [sent_to.pk]
    assert police.get(f"/api/v1/reports/{sent_to.pk}/").status_code == 200
    assert police.get(f"/api/v1/reports/{elsewhere.pk}/").status_code == 404


def test_police_lose_sight_of_a_report_some_hours_after_their_intervention_ends(
    resident, operator, police_officer, unit, as_user, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import Intervention
    from dispatch.services import dispatch_unit, transition_intervention

    report = file_report(resident, category="fight")
    intervention = dispatch_unit(report, unit=unit, operator=operator)
    transition_intervention(intervention, to="cancelled", by=operator)
    police = as_user(police_officer)
    assert police.get(f"/api/v1/reports/{report.pk}/").status_code == 200

    Intervention.objects.filter(pk=intervention.pk).update(
        updated_at=timezone.now() - timedelta(hours=settings.VIGIE_POLICE_REPORT_HOURS, minutes=1)
    )

    assert police.get(f"/api/v1/reports/{report.pk}/").status_code == 404
