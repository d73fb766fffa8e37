"""Who may do what, per role; and the 403 that tells a member why they are refused."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts import services
from accounts.models import Role
from accounts.permissions import IsApprovedMember
from accounts.roles import ROLE_PERMISSIONS
from tests.factories import enrol


def test_every_role_is_a_group_with_exactly_its_permissions(db):
    from django.contrib.auth.models import Group

    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == set(names), role


@pytest.mark.parametrize(
    ("role", "may_vet"),
    [
        (Role.VETTING, True),
        (Role.ADMIN, True),
        (Role.OPERATOR, False),
        (Role.SUPERVISOR, False),
        (Role.POLICE, False),
        (Role.RESIDENT, False),
        (Role.BUSINESS, False),
    ],
)
def test_only_vetting_staff_and_admins_may_vet(role, may_vet, paris, as_user):
    from tests.factories import UserFactory

    actor = UserFactory(username=f"actor-{role}", role=role, centre=paris)
    member = enrol("applicant")

    response = as_user(actor).post(f"/api/v1/residents/{member.pk}/approve/", {}, format="json")

    member.refresh_from_db()
    if may_vet:
        assert response.status_code == 200
        assert member.status == "approved"
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert member.status == "pending"


def test_vetting_officer_of_another_centre_gets_404(outsider_vetting_officer, paris, as_user):
    member = enrol("applicant")  # lives in Paris
    response = as_user(outsider_vetting_officer).post(
        f"/api/v1/residents/{member.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    member.refresh_from_db()
    assert member.status == "pending"


def test_unknown_member_and_foreign_member_answer_the_same(
    outsider_vetting_officer, paris, as_user
):
    member = enrol("applicant")
    client = as_user(outsider_vetting_officer)
    foreign = client.post(f"/api/v1/residents/{member.pk}/approve/", {}, format="json")
    unknown = client.post("/api/v1/residents/999999/approve/", {}, format="json")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()


def test_vetting_without_credentials_is_401(api, paris):
    member = enrol("applicant")
    response = api.post(f"/api/v1/residents/{member.pk}/approve/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Token"


def test_staff_cannot_be_vetted_through_the_resident_endpoint(vetting_officer, operator, as_user):
    response = as_user(vetting_officer).post(
        f"/api/v1/residents/{operator.pk}/suspend/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 404


class _MembersOnly(APIView):
    permission_classes = [IsApprovedMember]

    def post(self, request):
        from rest_framework.response import Response

        return Response({"ok": True})


def _call_members_only(user):
    request = APIRequestFactory().post("/x/", {}, format="json")
    force_authenticate(request, user=user)
    return _MembersOnly.as_view()(request)


def test_approved_member_passes_the_members_only_gate(resident):
    assert _call_members_only(resident).status_code == 200


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        ("pending", "account_pending", "waiting for approval"),
        ("suspended", "account_suspended", "suspended"),
        ("revoked", "account_revoked", "revoked"),
    ],
)
def test_unapproved_member_gets_403_saying_why(status, code, words, vetting_officer):
    member = enrol("applicant")
    if status == "suspended":
        services.approve_member(member, by=vetting_officer)
    if status != "pending":
        member = services.change_vetting_status(member, to=status, by=vetting_officer, reason="r")

    response = _call_members_only(member)

    assert response.status_code == 403
    assert response.data["error"]["code"] == code
    assert words in response.data["error"]["message"]


def test_staff_are_refused_at_the_members_only_gate(operator):
    response = _call_members_only(operator)
    assert response.status_code == 403
    assert response.data["error"]["code"] == "members_only"
