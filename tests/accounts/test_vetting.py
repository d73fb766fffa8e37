"""The vetting state machine: pending → approved → suspended → revoked, and back from suspended."""

from __future__ import annotations

import itertools

import pytest
from knox.models import AuthToken

from accounts import services
from accounts.models import VETTING_TRANSITIONS, VettingDecision, VettingStatus
from common.errors import IllegalTransition, InvalidInput, RuleBroken
from tests.factories import enrol

STATUSES = list(VettingStatus.values)
LEGAL = {
    ("pending", "approved"),
    ("pending", "revoked"),
    ("approved", "suspended"),
    ("approved", "revoked"),
    ("suspended", "approved"),
    ("suspended", "revoked"),
}
# How to bring a fresh (pending) member to each status through legal moves.
PATHS = {
    "pending": [],
    "approved": ["approved"],
    "suspended": ["approved", "suspended"],
    "revoked": ["revoked"],
}


def member_in(status: str, officer):
    member = enrol(f"member-{status}")
    for step in PATHS[status]:
        member = services.change_vetting_status(member, to=step, by=officer, reason="set-up")
    assert member.status == status
    return member


def test_the_table_is_the_documented_machine():
    table = {(a, b) for a, targets in VETTING_TRANSITIONS.items() for b in targets}
    assert table == LEGAL


@pytest.mark.parametrize(("start", "end"), sorted(LEGAL))
def test_every_legal_move_changes_status_and_records_who_and_why(start, end, vetting_officer):
    member = member_in(start, vetting_officer)
    before = VettingDecision.objects.filter(member=member).count()

    member = services.change_vetting_status(member, to=end, by=vetting_officer, reason="checked")

    member.refresh_from_db()
    assert member.status == end
    decisions = VettingDecision.objects.filter(member=member)
    assert decisions.count() == before + 1
    last = decisions.last()
    assert (last.from_status, last.to_status) == (start, end)
    assert last.decided_by == vetting_officer
    assert last.reason == "checked"
    assert last.decided_at is not None


@pytest.mark.parametrize(
    ("start", "end"),
    sorted(set(itertools.product(STATUSES, STATUSES)) - LEGAL),
)
def test_every_illegal_move_is_refused_and_changes_nothing(start, end, vetting_officer):
    member = member_in(start, vetting_officer)
    before = VettingDecision.objects.filter(member=member).count()

    with pytest.raises(IllegalTransition):
        services.change_vetting_status(member, to=end, by=vetting_officer, reason="try")

    member.refresh_from_db()
    assert member.status == start
    assert VettingDecision.objects.filter(member=member).count() == before


@pytest.mark.parametrize("end", ["suspended", "revoked"])
def test_suspending_or_revoking_needs_a_reason(end, vetting_officer):
    member = member_in("approved", vetting_officer)
    with pytest.raises(InvalidInput):
        services.change_vetting_status(member, to=end, by=vetting_officer, reason="  ")
    member.refresh_from_db()
    assert member.status == "approved"


def test_staff_accounts_are_not_vetted(operator, vetting_officer):
    with pytest.raises(RuleBroken):
        services.suspend_member(operator, by=vetting_officer, reason="no")


def test_revoking_ends_every_app_session(vetting_officer, as_user):
    member = member_in("approved", vetting_officer)
    client = as_user(member)
    assert AuthToken.objects.filter(user=member).exists()

    assert client.get("/api/v1/reports/").status_code == 200

    services.revoke_member(member, by=vetting_officer, reason="fraudulent reports")

    assert not AuthToken.objects.filter(user=member).exists()
    response = client.get("/api/v1/reports/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


class TestThroughTheApi:
    def test_vetting_officer_approves_a_pending_resident(self, as_user, vetting_officer):
        member = enrol("newcomer")
        response = as_user(vetting_officer).post(
            f"/api/v1/residents/{member.pk}/approve/", {"reason": "ID checked"}, format="json"
        )
        assert response.status_code == 200
        assert response.json() == {"id": member.pk, "status": "approved"}
        member.refresh_from_db()
        assert member.status == "approved"
        assert member.vetting_decisions.last().reason == "ID checked"

    def test_suspend_then_reinstate_then_revoke(self, as_user, vetting_officer):
        member = enrol("newcomer")
        client = as_user(vetting_officer)
        url = f"/api/v1/residents/{member.pk}"
        moves = [
            ("approve", "approved"),
            ("suspend", "suspended"),
            ("approve", "approved"),
            ("revoke", "revoked"),
        ]
        for action, status in moves:
            response = client.post(f"{url}/{action}/", {"reason": "r"}, format="json")
            assert response.status_code == 200, response.json()
            assert response.json()["status"] == status
        assert [d.to_status for d in member.vetting_decisions.all()] == [
            "pending",
            "approved",
            "suspended",
            "approved",
            "revoked",
        ]

    def test_illegal_move_is_a_409_with_a_stable_code(self, as_user, vetting_officer):
        member = enrol("newcomer")
        response = as_user(vetting_officer).post(
            f"/api/v1/residents/{member.pk}/suspend/", {"reason": "r"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "illegal_transition"
        member.refresh_from_db()
        assert member.status == "pending"

    def test_revoke_without_reason_is_a_400_naming_the_field(self, as_user, vetting_officer):
        member = enrol("newcomer")
        response = as_user(vetting_officer).post(
            f"/api/v1/residents/{member.pk}/revoke/", {}, format="json"
        )
        assert response.status_code == 400
        assert "reason" in response.json()["error"]["fields"]
