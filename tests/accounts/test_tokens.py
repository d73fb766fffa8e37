"""App tokens end: when they expire, when the member is suspended or revoked, when the password
changes, and when the app signs out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from audit.models import AccessRecord, Action
from common.errors import InvalidInput
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
NEW_PASSWORD = "another-long-passphrase"


def app_of(user) -> APIClient:
    client = APIClient()
    response = client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def works(client: APIClient) -> bool:
    return client.get("/api/v1/reports/").status_code == 200


def test_a_token_past_its_expiry_is_refused_and_forgotten(resident):
    app = app_of(resident)
    assert works(app)

    AuthToken.objects.filter(user=resident).update(expiry=timezone.now() - timedelta(seconds=1))

    response = app.get("/api/v1/reports/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=resident).exists()


def test_use_pushes_the_expiry_back_but_never_past_the_maximum_age(resident):
    app = app_of(resident)
    token = AuthToken.objects.get(user=resident)
    ttl = timedelta(hours=24 * 30)  # VIGIE_TOKEN_TTL_HOURS
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() + timedelta(hours=1))

    assert works(app)
    token.refresh_from_db()
    assert token.expiry > timezone.now() + ttl - timedelta(minutes=1)

    # Issued almost 180 days ago (VIGIE_TOKEN_MAX_AGE_DAYS): use no longer extends it.
    created = timezone.now() - timedelta(days=180) + timedelta(hours=2)
    AuthToken.objects.filter(pk=token.pk).update(
        created=created, expiry=timezone.now() + timedelta(hours=1)
    )
    assert works(app)
    token.refresh_from_db()
    assert token.expiry <= created + timedelta(days=180)


@pytest.mark.parametrize("action", ["suspend_member", "revoke_member"])
def test_suspending_or_revoking_a_member_ends_every_app_they_hold(
    resident, vetting_officer, action
):
    phone, tablet = app_of(resident), app_of(resident)

    getattr(services, action)(resident, by=vetting_officer, reason="abuse")

    assert not works(phone)
    assert not works(tablet)
    assert not AuthToken.objects.filter(user=resident).exists()


def test_a_suspended_member_signs_in_again_and_learns_where_they_stand(resident, vetting_officer):
    services.suspend_member(resident, by=vetting_officer, reason="abuse")
    response = APIClient().post(
        TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"


def test_a_new_password_ends_every_app_signed_in_with_the_old_one(resident, other_resident):
    app, neighbour = app_of(resident), app_of(other_resident)

    services.change_password(resident, password=NEW_PASSWORD)

    assert not works(app)
    assert works(neighbour)
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)


def test_a_weak_new_password_is_refused_and_nothing_ends(resident):
    app = app_of(resident)
    with pytest.raises(InvalidInput):
        services.change_password(resident, password="123")
    assert works(app)


def test_create_user_with_a_new_password_ends_the_apps_but_not_with_the_same(resident, paris):
    app = app_of(resident)
    services.create_user("resident", role="resident", centre=paris, password=PASSWORD)
    assert works(app)

    services.create_user("resident", role="resident", centre=paris, password=NEW_PASSWORD)
    assert not works(app)


def test_signing_in_and_out_of_an_app_is_traced(resident):
    app = app_of(resident)
    assert app.delete(TOKEN_URL).status_code == 204

    trail = AccessRecord.objects.filter(actor_username="resident").order_by("at", "id")
    assert [(r.action, r.detail["door"]) for r in trail] == [
        (Action.LOGIN, "token"),
        (Action.LOGOUT, "token"),
    ]


def test_a_password_set_in_the_admin_ends_the_apps_too(resident, admin_user, client):
    app = app_of(resident)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{resident.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:500]
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)
    assert not works(app)
    assert not AuthToken.objects.filter(user=resident).exists()
