"""A resident sees only their own reports; an operator only their centres'."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from reporting.models import Report
from reporting.services import triage
from tests.factories import (
    SAINT_DENIS_BASILICA,
    UserFactory,
    file_report,
)

URL = "/api/v1/reports/"


@pytest.fixture
def reports(paris, saint_denis, resident, other_resident):
    sd_resident = UserFactory(username="sd", role=Role.RESIDENT, centre=saint_denis)
    return {
        "mine": file_report(resident, category="fight"),
        "neighbour": file_report(other_resident, category="illegal_dumping"),
        "saint_denis": file_report(sd_resident, SAINT_DENIS_BASILICA),
    }


def ids(response):
    assert response.status_code == 200, response.json()
    return {r["id"] for r in response.json()["results"]}


def test_a_resident_lists_only_their_own(as_user, resident, reports):
    assert ids(as_user(resident).get(URL)) == {reports["mine"].pk}


def test_a_resident_cannot_read_another_residents_report(as_user, resident, reports):
    response = as_user(resident).get(f"{URL}{reports['neighbour'].pk}/")
    assert response.status_code == 404
    assert as_user(resident).get(f"{URL}{reports['mine'].pk}/").status_code == 200


def test_an_operator_lists_their_centres_reports_only(as_user, operator, reports):
    assert ids(as_user(operator).get(URL)) == {reports["mine"].pk, reports["neighbour"].pk}


def test_an_operator_of_another_centre_gets_404(as_user, outsider_operator, reports):
    assert ids(as_user(outsider_operator).get(URL)) == {reports["saint_denis"].pk}
    response = as_user(outsider_operator).get(f"{URL}{reports['mine'].pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["police_officer", "vetting_officer"])
def test_other_staff_see_no_reports_yet(as_user, request, who, reports):
    assert ids(as_user(request.getfixturevalue(who)).get(URL)) == set()


def test_anonymous_listing_is_401(api, reports):
    assert api.get(URL).status_code == 401


class TestOperatorFilters:
    def test_by_status_category_and_source(self, as_user, operator, reports):
        client = as_user(operator)
        triage.acknowledge_report(reports["mine"], operator=operator)
        assert ids(client.get(URL, {"status": "acknowledged"})) == {reports["mine"].pk}
        assert ids(client.get(URL, {"status": "new"})) == {reports["neighbour"].pk}
        assert ids(client.get(URL, {"category": "illegal_dumping"})) == {reports["neighbour"].pk}
        assert ids(client.get(URL, {"source": "resident"})) == {
            reports["mine"].pk,
            reports["neighbour"].pk,
        }
        assert ids(client.get(URL, {"source": "business"})) == set()

    def test_since(self, as_user, operator, reports):
        Report.objects.filter(pk=reports["mine"].pk).update(
            created_at=timezone.now() - timedelta(days=2)
        )
        since = (timezone.now() - timedelta(days=1)).isoformat()
        assert ids(as_user(operator).get(URL, {"since": since})) == {reports["neighbour"].pk}

    def test_bbox(self, as_user, operator, resident, reports):
        far = file_report(resident, _point(2.2900, 48.8600))  # Trocadéro
        around_city_hall = "2.34,48.85,2.36,48.86"
        assert ids(as_user(operator).get(URL, {"bbox": around_city_hall})) == {
            reports["mine"].pk,
            reports["neighbour"].pk,
        }
        assert far.pk in ids(as_user(operator).get(URL, {"bbox": "2.28,48.85,2.30,48.87"}))

    def test_nearest_first(self, as_user, operator, resident, reports):
        far = file_report(resident, _point(2.2900, 48.8600))
        response = as_user(operator).get(URL, {"near": "2.2901,48.8601"})
        assert response.json()["results"][0]["id"] == far.pk

    @pytest.mark.parametrize(
        "params",
        [
            {"bbox": "1,2,3"},
            {"bbox": "3,48,2,49"},
            {"bbox": "a,b,c,d"},
            {"near": "200,0"},
            {"status": "exploded"},
            {"since": "last tuesday"},
            {"page": "999"},
        ],
    )
    def test_bad_filters_are_clear_4xx(self, as_user, operator, reports, params):
        response = as_user(operator).get(URL, params)
        assert response.status_code in (400, 404)
        assert "error" in response.json()

    def test_listing_costs_a_fixed_number_of_queries(
        self, as_user, operator, resident, reports, django_assert_max_num_queries
    ):
        for _ in range(10):
            file_report(resident)
        client = as_user(operator)
        with django_assert_max_num_queries(8):
            response = client.get(URL)
        assert response.json()["count"] == 12


def _point(lon, lat):
    from django.contrib.gis.geos import Point

    return Point(lon, lat, srid=4326)


def test_a_report_made_through_the_api_is_in_the_admin_and_the_residents_list(
    as_user, resident, admin_user, client
):
    created = (
        as_user(resident)
        .post(
            URL,
            {"category": "theft", "location": {"type": "Point", "coordinates": [2.3522, 48.8566]}},
            format="json",
        )
        .json()
    )

    assert created["id"] in ids(as_user(resident).get(URL))
    client.force_login(admin_user)
    changelist = client.get("/admin/reporting/report/")
    assert changelist.status_code == 200
    assert created["reference"] in changelist.content.decode()
    page = client.get(f"/admin/reporting/report/{created['id']}/change/")
    assert page.status_code == 200
    assert created["reference"] in page.content.decode()
