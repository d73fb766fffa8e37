"""Legal hold and sharing: explicit acts of a supervisor of the report's centre, with a reason,
in the access trail, announced live. Sharing lets another centre read, never act."""

from __future__ import annotations

import pytest

from accounts.models import Role
from audit.models import AccessRecord, Action
from live.models import Event
from reporting.models import Report, ReportShare
from tests.factories import UserFactory, file_report

pytestmark = pytest.mark.django_db

REASON = "Réquisition judiciaire 2026/1234 du parquet de Paris"


def hold_url(report):
    return f"/api/v1/reports/{report.pk}/legal-hold/"


def share_url(report):
    return f"/api/v1/reports/{report.pk}/share/"


@pytest.fixture
def report(resident):
    return file_report(resident)


@pytest.fixture
def outsider_supervisor(saint_denis):
    return UserFactory(username="supervisor-sd", role=Role.SUPERVISOR, centre=saint_denis)


def trail(action):
    return list(AccessRecord.objects.filter(action=action))


def last_event(centre):
    return Event.objects.filter(centre=centre).order_by("-seq").first()


class TestLegalHold:
    def test_a_supervisor_puts_a_report_on_hold(self, as_user, supervisor, report, paris):
        response = as_user(supervisor).post(hold_url(report), {"reason": REASON}, format="json")

        assert response.status_code == 200, response.json()
        assert response.json()["legal_hold"] is True
        report.refresh_from_db()
        assert report.legal_hold_at is not None
        assert report.legal_hold_by == supervisor
        assert report.legal_hold_reason == REASON
        (access,) = trail(Action.LEGAL_HOLD)
        assert (access.actor_id, access.target_type, access.target_id) == (
            supervisor.pk,
            "report",
            report.pk,
        )
        assert (access.target_label, access.centre_id, access.reason) == (
            report.reference,
            paris.pk,
            REASON,
        )
        assert access.detail == {"hold": "set"}
        event = last_event(paris)
        assert event.type == "report.updated"
        assert event.data["id"] == report.pk
        assert event.data["legal_hold"] is True

    def test_the_supervisor_lifts_it_with_a_reason(self, as_user, supervisor, report, paris):
        client = as_user(supervisor)
        client.post(hold_url(report), {"reason": REASON}, format="json")

        response = client.delete(hold_url(report), {"reason": "Case dismissed"}, format="json")

        assert response.status_code == 200, response.json()
        assert response.json()["legal_hold"] is False
        report.refresh_from_db()
        assert (report.legal_hold_at, report.legal_hold_by, report.legal_hold_reason) == (
            None,
            None,
            "",
        )
        lifted = AccessRecord.objects.filter(action=Action.LEGAL_HOLD).order_by("-id").first()
        assert lifted.reason == "Case dismissed"
        assert lifted.detail["hold"] == "lifted"
        assert lifted.detail["held_for"] == REASON
        assert last_event(paris).data["legal_hold"] is False

    def test_holding_twice_or_lifting_no_hold_is_a_conflict(self, as_user, supervisor, report):
        client = as_user(supervisor)
        response = client.delete(hold_url(report), {"reason": "x"}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "not_on_hold"
        assert client.post(hold_url(report), {"reason": REASON}, format="json").status_code == 200
        response = client.post(hold_url(report), {"reason": REASON}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "already_on_hold"
        assert len(trail(Action.LEGAL_HOLD)) == 1

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    def test_a_reason_is_required(self, as_user, supervisor, report, body):
        response = as_user(supervisor).post(hold_url(report), body, format="json")

        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "reason_required"
        assert "reason" in error["fields"]
        report.refresh_from_db()
        assert report.legal_hold_at is None
        assert trail(Action.LEGAL_HOLD) == []

    def test_an_operator_of_the_centre_is_refused(self, as_user, operator, report):
        response = as_user(operator).post(hold_url(report), {"reason": REASON}, format="json")

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "supervisors_only"
        report.refresh_from_db()
        assert report.legal_hold_at is None

    @pytest.mark.parametrize("who", ["outsider_operator", "outsider_supervisor", "other_resident"])
    def test_anyone_outside_the_centre_gets_404(self, as_user, request, who, report):
        user = request.getfixturevalue(who)
        response = as_user(user).post(hold_url(report), {"reason": REASON}, format="json")

        assert response.status_code == 404
        assert trail(Action.LEGAL_HOLD) == []

    def test_the_author_cannot_hold_their_own_report(self, as_user, resident, report):
        response = as_user(resident).post(hold_url(report), {"reason": REASON}, format="json")
        assert response.status_code == 403

    def test_anonymous_is_401(self, api, report):
        assert api.post(hold_url(report), {"reason": REASON}, format="json").status_code == 401


class TestSharing:
    def share(self, as_user, supervisor, report, centre, reason="Suspect fled north"):
        return as_user(supervisor).post(
            share_url(report), {"centre": centre.pk, "reason": reason}, format="json"
        )

    def test_a_supervisor_shares_a_report_with_another_centre(
        self, as_user, supervisor, report, paris, saint_denis
    ):
        response = self.share(as_user, supervisor, report, saint_denis)

        assert response.status_code == 201, response.json()
        share = ReportShare.objects.get()
        assert response.json() == {
            "id": share.pk,
            "report": report.pk,
            "centre": saint_denis.pk,
            "shared_by": supervisor.username,
            "reason": "Suspect fled north",
            "created_at": response.json()["created_at"],
        }
        (access,) = trail(Action.SHARE)
        assert (access.actor_id, access.target_id, access.centre_id) == (
            supervisor.pk,
            report.pk,
            paris.pk,
        )
        assert access.reason == "Suspect fled north"
        assert access.detail == {"centre": saint_denis.pk, "centre_slug": "saint-denis-csu"}
        # The receiving centre's consoles are told, with the report; the owner's too.
        shared = last_event(saint_denis)
        assert shared.type == "report.shared"
        assert shared.data["reference"] == report.reference
        assert shared.data["shared"]["from_centre"] == paris.pk
        assert shared.data["shared"]["by"] == supervisor.username
        assert last_event(paris).type == "report.updated"

    def test_the_other_centre_then_reads_it(
        self, as_user, supervisor, report, saint_denis, outsider_operator
    ):
        client = as_user(outsider_operator)
        assert client.get(f"/api/v1/reports/{report.pk}/").status_code == 404
        self.share(as_user, supervisor, report, saint_denis)

        listed = client.get("/api/v1/reports/")
        assert report.pk in {r["id"] for r in listed.json()["results"]}
        detail = client.get(f"/api/v1/reports/{report.pk}/")
        assert detail.status_code == 200, detail.json()
        assert detail.json()["reference"] == report.reference
        assert client.get(f"/api/v1/reports/{report.pk}/cameras/").status_code == 200
        # Each reading is in the owning centre's trail.
        views = AccessRecord.objects.filter(actor_id=outsider_operator.pk, target_id=report.pk)
        assert set(views.values_list("centre_id", flat=True)) == {report.centre_id}

    def test_the_other_centre_cannot_act_on_it(
        self, as_user, supervisor, report, saint_denis, outsider_operator, outsider_supervisor
    ):
        client = as_user(outsider_operator)
        self.share(as_user, supervisor, report, saint_denis)

        response = client.post(f"/api/v1/reports/{report.pk}/acknowledge/")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "shared_read_only"
        response = client.post(
            f"/api/v1/reports/{report.pk}/close/", {"outcome": "no_action"}, format="json"
        )
        assert response.status_code == 403
        report.refresh_from_db()
        assert report.status == "new"
        # Nor may the other centre's supervisor hold it or pass it on.
        other = as_user(outsider_supervisor)
        response = other.post(hold_url(report), {"reason": REASON}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "shared_read_only"

    def test_the_other_centre_cannot_dispatch_to_it(
        self, as_user, supervisor, report, saint_denis, outsider_operator
    ):
        from dispatch.services import create_unit

        sd_unit = create_unit(centre=saint_denis, callsign="SD-1", members=[])
        self.share(as_user, supervisor, report, saint_denis)

        response = as_user(outsider_operator).post(
            "/api/v1/interventions/", {"report": report.pk, "unit": sd_unit.pk}, format="json"
        )

        assert response.status_code == 403
        assert not report.interventions.exists()

    def test_an_operator_cannot_share(self, as_user, operator, report, saint_denis):
        response = self.share(as_user, operator, report, saint_denis)

        assert response.status_code == 403
        assert not ReportShare.objects.exists()
        assert trail(Action.SHARE) == []

    def test_a_supervisor_of_another_centre_cannot_share(
        self, as_user, outsider_supervisor, report, saint_denis
    ):
        assert self.share(as_user, outsider_supervisor, report, saint_denis).status_code == 404
        assert not ReportShare.objects.exists()

    def test_an_unknown_centre_is_422(self, as_user, supervisor, report):
        response = as_user(supervisor).post(
            share_url(report), {"centre": 987654, "reason": "x"}, format="json"
        )

        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unknown_centre"
        assert "centre" in response.json()["error"]["fields"]
        assert not ReportShare.objects.exists()

    def test_its_own_centre_a_missing_reason_and_a_second_share_are_refused(
        self, as_user, supervisor, report, paris, saint_denis
    ):
        own = self.share(as_user, supervisor, report, paris)
        assert own.status_code == 422
        assert own.json()["error"]["code"] == "own_centre"
        blank = self.share(as_user, supervisor, report, saint_denis, reason="")
        assert blank.status_code == 422
        assert blank.json()["error"]["code"] == "reason_required"
        assert self.share(as_user, supervisor, report, saint_denis).status_code == 201
        again = self.share(as_user, supervisor, report, saint_denis)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "already_shared"
        assert ReportShare.objects.count() == 1
        assert len(trail(Action.SHARE)) == 1

    def test_a_shared_report_is_listed_once_for_someone_serving_both_centres(
        self, as_user, supervisor, report, paris, saint_denis
    ):
        both = UserFactory(username="both", role=Role.OPERATOR, centre=paris)
        both.centres.add(saint_denis)
        self.share(as_user, supervisor, report, saint_denis)

        assert list(Report.objects.visible_to(both)) == [report]
        assert list(Report.objects.visible_to(both, shared=False)) == [report]
