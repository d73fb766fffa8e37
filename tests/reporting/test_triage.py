"""Operators acknowledge, merge and close; every change is refused when illegal and announced."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.gis.geos import Point

from common.errors import IllegalTransition
from live.models import Event
from reporting.models import REPORT_TRANSITIONS, Incident, Report, Status
from reporting.services import triage
from tests.factories import PARIS_HOTEL_DE_VILLE, SAINT_DENIS_BASILICA, UserFactory, file_report

URL = "/api/v1/reports"
LEGAL = {
    ("new", "acknowledged"),
    ("new", "closed"),
    ("acknowledged", "dispatched"),
    ("acknowledged", "resolved"),
    ("acknowledged", "closed"),
    ("dispatched", "resolved"),
    ("dispatched", "acknowledged"),
    ("resolved", "closed"),
}
PATHS = {
    "new": [],
    "acknowledged": ["acknowledged"],
    "dispatched": ["acknowledged", "dispatched"],
    "resolved": ["acknowledged", "resolved"],
    "closed": ["closed"],
}


def report_in(status, author):
    report = file_report(author)
    for step in PATHS[status]:
        report = triage.transition_report(report, to=step)
    assert report.status == status
    return report


def test_the_table_is_the_documented_machine():
    assert {(a, b) for a, tos in REPORT_TRANSITIONS.items() for b in tos} == LEGAL


@pytest.mark.parametrize(
    ("start", "end"), sorted(set(itertools.product(Status.values, Status.values)) - LEGAL)
)
def test_every_illegal_move_is_refused(start, end, resident):
    report = report_in(start, resident)
    events = Event.objects.count()
    with pytest.raises(IllegalTransition):
        triage.transition_report(report, to=end)
    report.refresh_from_db()
    assert report.status == start
    assert Event.objects.count() == events


@pytest.mark.parametrize(("start", "end"), sorted(LEGAL))
def test_every_legal_move_is_announced(start, end, resident):
    report = report_in(start, resident)
    triage.transition_report(report, to=end)
    report.refresh_from_db()
    assert report.status == end
    last = Event.objects.order_by("seq").last()
    assert (last.type, last.data["status"]) == ("report.updated", end)


class TestAcknowledge:
    def test_records_who_and_when_and_announces_it(self, as_user, operator, resident):
        report = file_report(resident)
        response = as_user(operator).post(f"{URL}/{report.pk}/acknowledge/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "acknowledged"
        assert body["acknowledged_by"] == "operator"
        assert body["acknowledged_at"]
        event = Event.objects.order_by("seq").last()
        assert (event.seq, event.type) == (2, "report.updated")
        assert event.data["acknowledged_by"] == "operator"

    def test_twice_is_409(self, as_user, operator, supervisor, resident):
        report = file_report(resident)
        as_user(operator).post(f"{URL}/{report.pk}/acknowledge/")
        again = as_user(supervisor).post(f"{URL}/{report.pk}/acknowledge/")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "illegal_transition"
        report.refresh_from_db()
        assert report.acknowledged_by == operator

    @pytest.mark.parametrize("who", ["resident", "police_officer", "vetting_officer"])
    def test_is_for_operators_only(self, as_user, request, who, resident):
        report = file_report(resident)
        response = as_user(request.getfixturevalue(who)).post(f"{URL}/{report.pk}/acknowledge/")
        assert response.status_code == 403
        report.refresh_from_db()
        assert report.status == "new"

    def test_another_centres_operator_gets_404(self, as_user, outsider_operator, resident):
        report = file_report(resident)
        response = as_user(outsider_operator).post(f"{URL}/{report.pk}/acknowledge/")
        assert response.status_code == 404


class TestClose:
    def test_with_outcome_and_note(self, as_user, operator, resident):
        report = file_report(resident)
        response = as_user(operator).post(
            f"{URL}/{report.pk}/close/",
            {"outcome": "forwarded", "note": "Sent to the city's cleaning service"},
            format="json",
        )
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["outcome"]) == ("closed", "forwarded")
        report.refresh_from_db()
        assert report.closed_by == operator
        assert report.closing_note == "Sent to the city's cleaning service"

    def test_unknown_outcome_is_400(self, as_user, operator, resident):
        report = file_report(resident)
        response = as_user(operator).post(
            f"{URL}/{report.pk}/close/", {"outcome": "vaporised"}, format="json"
        )
        assert response.status_code == 400
        assert "outcome" in response.json()["error"]["fields"]

    def test_a_closed_report_cannot_be_closed_again(self, as_user, operator, resident):
        report = file_report(resident)
        client = as_user(operator)
        client.post(f"{URL}/{report.pk}/close/", {"outcome": "handled"}, format="json")
        again = client.post(f"{URL}/{report.pk}/close/", {"outcome": "handled"}, format="json")
        assert again.status_code == 409


class TestMerge:
    def test_two_reports_become_one_incident(self, as_user, operator, resident, other_resident):
        first, second = file_report(resident), file_report(other_resident)
        response = as_user(operator).post(
            f"{URL}/{second.pk}/merge/", {"into": first.pk}, format="json"
        )
        assert response.status_code == 200
        incident = Incident.objects.get()
        assert response.json()["incident"] == incident.pk
        assert set(incident.reports.values_list("pk", flat=True)) == {first.pk, second.pk}
        event = Event.objects.order_by("seq").last()
        assert event.type == "incident.updated"
        assert {r["id"] for r in event.data["reports"]} == {first.pk, second.pk}

    def test_merging_two_incidents_leaves_one(self, operator, resident):
        a, b, c, d = (file_report(resident) for _ in range(4))
        triage.merge_reports(b, into=a, operator=operator)
        triage.merge_reports(d, into=c, operator=operator)
        triage.merge_reports(c, into=a, operator=operator)
        assert Incident.objects.count() == 1
        assert Report.objects.filter(incident__isnull=False).count() == 4

    def test_into_itself_is_422(self, as_user, operator, resident):
        report = file_report(resident)
        response = as_user(operator).post(
            f"{URL}/{report.pk}/merge/", {"into": report.pk}, format="json"
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "merge_into_self"

    def test_into_another_centres_report_is_404(self, as_user, operator, resident, saint_denis):
        here = file_report(resident)
        there = file_report(resident, SAINT_DENIS_BASILICA)
        response = as_user(operator).post(
            f"{URL}/{here.pk}/merge/", {"into": there.pk}, format="json"
        )
        assert response.status_code == 404
        assert not Incident.objects.exists()


class TestLikelyDuplicates:
    def test_same_category_nearby_and_recent_nearest_first(self, as_user, operator, resident):
        report = file_report(resident, PARIS_HOTEL_DE_VILLE, category="fight")
        # About 55 m and 110 m north, the same category: both candidates, nearest first.
        near = file_report(resident, Point(2.3522, 48.8571, srid=4326), category="fight")
        nearer = file_report(resident, Point(2.3522, 48.85665, srid=4326), category="fight")
        file_report(resident, Point(2.3522, 48.8600, srid=4326), category="fight")  # ~380 m
        file_report(resident, PARIS_HOTEL_DE_VILLE, category="illegal_dumping")
        response = as_user(operator).get(f"{URL}/{report.pk}/duplicates/")
        assert response.status_code == 200
        found = [(r["id"], r["distance_m"]) for r in response.json()]
        assert [pk for pk, _ in found] == [nearer.pk, near.pk]
        assert 4 < found[0][1] < 7
        assert 50 < found[1][1] < 60

    def test_old_reports_are_not_duplicates(self, as_user, operator, resident):
        from datetime import timedelta

        from django.utils import timezone

        old = file_report(resident, category="fight")
        Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=5))
        report = file_report(resident, category="fight")
        assert as_user(operator).get(f"{URL}/{report.pk}/duplicates/").json() == []


def test_the_reports_author_follows_the_status(as_user, operator, resident):
    report = file_report(resident)
    triage.acknowledge_report(report, operator=operator)
    seen = as_user(resident).get(f"{URL}/{report.pk}/").json()
    assert seen["status"] == "acknowledged"


def test_categories_are_public_and_in_the_callers_language(api, db):
    french = api.get("/api/v1/categories/").json()
    english = api.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert len(french) >= 16
    dumping_fr = next(c for c in french if c["code"] == "illegal_dumping")
    dumping_en = next(c for c in english if c["code"] == "illegal_dumping")
    assert (dumping_fr["label"], dumping_en["label"]) == ("Dépôt sauvage", "Illegal dumping")
    assert dumping_fr["default_priority"] == "low"


def test_a_second_operator_can_see_the_same_report(as_user, paris, resident):
    colleague = UserFactory(username="colleague", role="operator", centre=paris)
    report = file_report(resident)
    assert as_user(colleague).get(f"{URL}/{report.pk}/").status_code == 200
