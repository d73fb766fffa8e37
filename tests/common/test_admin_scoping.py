"""Supervisors reach a centre-scoped admin: their centres' rows only, read-only, and the
access trail neither changed nor deleted from there by anyone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client

from accounts.models import Role
from audit.models import AccessRecord, Action
from common.admin import CentreScopedAdmin
from notifications.messages import verbatim
from notifications.models import NotificationKind, PushMessage
from notifications.services import notify, register_push_device
from tests.factories import SAINT_DENIS_BASILICA, UserFactory, file_report

PROJECT_APPS = {"accounts", "audit", "cameras", "reporting", "alerts", "dispatch", "notifications"}


def admin_client(user) -> Client:
    """A browser signed in to the admin as `user`, its session verified by a second factor
    when the admin asks for one (django-otp's OTPAdminSite, accounts/admin_site.py)."""
    client = Client()
    client.force_login(user)
    if "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def outsider_resident(saint_denis):
    return UserFactory(username="resident-sd", role=Role.RESIDENT, centre=saint_denis)


@pytest.fixture
def reports(resident, outsider_resident):
    return file_report(resident), file_report(outsider_resident, where=SAINT_DENIS_BASILICA)


@pytest.fixture
def pushes(resident, outsider_resident):
    """A failed push to a Paris resident and one to a Saint-Denis resident."""
    for user in (resident, outsider_resident):
        register_push_device(user, token=f"token-{user.username}", platform="android")
        notify(
            [user],
            kind=NotificationKind.REPORT_STATUS,
            texts=verbatim("Votre signalement", "est pris en compte"),
            data={"type": "report.status"},
        )
    # Set-up only: as if FCM had refused both (the worker's settle step writes this).
    PushMessage.objects.update(status=PushMessage.Status.FAILED, last_error="UNAVAILABLE")
    ours = PushMessage.objects.get(device__user=resident)
    theirs = PushMessage.objects.get(device__user=outsider_resident)
    return ours, theirs


def test_supervisors_are_staff_but_not_superusers(supervisor, operator, admin_user):
    assert (supervisor.is_staff, supervisor.is_superuser) == (True, False)
    assert (operator.is_staff, operator.is_superuser) == (False, False)
    assert (admin_user.is_staff, admin_user.is_superuser) == (True, True)


def test_every_admin_of_the_project_is_centre_scoped():
    unscoped = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS and not isinstance(model_admin, CentreScopedAdmin)
    ]
    assert unscoped == []


def test_a_supervisor_lists_only_their_centres_reports(supervisor, reports):
    ours, theirs = reports

    page = admin_client(supervisor).get("/admin/reporting/report/")

    assert page.status_code == 200
    assert ours.reference in page.text
    assert theirs.reference not in page.text


def test_another_centres_report_by_url_is_not_shown(supervisor, reports):
    ours, theirs = reports
    client = admin_client(supervisor)

    assert client.get(f"/admin/reporting/report/{ours.pk}/change/").status_code == 200
    refused = client.get(f"/admin/reporting/report/{theirs.pk}/change/")
    assert refused.status_code in (302, 404)
    assert theirs.reference not in refused.text


def test_the_centre_filter_names_only_the_supervisors_centres(supervisor, reports):
    page = admin_client(supervisor).get("/admin/reporting/report/")
    assert "CSU de Paris" in page.text
    assert "CSU de Saint-Denis" not in page.text


def test_a_supervisor_sees_their_centres_failed_pushes(supervisor, pushes):
    ours, theirs = pushes
    client = admin_client(supervisor)

    page = client.get("/admin/notifications/pushmessage/", {"status__exact": "failed"})

    assert page.status_code == 200
    assert f"/admin/notifications/pushmessage/{ours.pk}/change/" in page.text
    assert f"/admin/notifications/pushmessage/{theirs.pk}/change/" not in page.text
    assert client.get(f"/admin/notifications/pushmessage/{ours.pk}/change/").status_code == 200
    other = client.get(f"/admin/notifications/pushmessage/{theirs.pk}/change/")
    assert other.status_code in (302, 404)


def test_an_administrator_sees_every_centre(admin_user, reports, pushes):
    client = admin_client(admin_user)
    page = client.get("/admin/reporting/report/")
    assert all(report.reference in page.text for report in reports)
    pushes_page = client.get("/admin/notifications/pushmessage/")
    assert all(f"/pushmessage/{push.pk}/change/" in pushes_page.text for push in pushes)


def test_a_supervisor_reads_but_changes_nothing(supervisor, reports, pushes):
    ours, _ = reports
    client = admin_client(supervisor)

    assert client.get("/admin/reporting/report/add/").status_code == 403
    assert client.get(f"/admin/reporting/report/{ours.pk}/delete/").status_code == 403
    push = pushes[0]
    posted = client.post(f"/admin/notifications/pushmessage/{push.pk}/change/", {"status": "sent"})
    assert posted.status_code == 403
    push.refresh_from_db()
    assert push.status == PushMessage.Status.FAILED


@pytest.mark.parametrize("who", ["operator", "vetting_officer", "resident"])
def test_other_roles_do_not_reach_the_admin(request, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/reporting/report/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- the access trail in the admin ----------------------------------------------------------


@pytest.fixture
def trail(paris, saint_denis):
    ours = AccessRecord.objects.create(
        actor_username="operator",
        action=Action.VIEW_ATTACHMENT,
        target_label="PAR-2026-000009",
        centre_id=paris.pk,
        reason="identifier",
    )
    theirs = AccessRecord.objects.create(
        actor_username="operator-sd",
        action=Action.VIEW_REPORT,
        target_label="STD-2026-000009",
        centre_id=saint_denis.pk,
    )
    return ours, theirs


def test_a_supervisor_reads_their_centres_trail_in_the_admin(supervisor, trail):
    ours, theirs = trail
    client = admin_client(supervisor)

    page = client.get("/admin/audit/accessrecord/")

    assert page.status_code == 200
    assert "PAR-2026-000009" in page.text
    assert "STD-2026-000009" not in page.text
    assert client.get(f"/admin/audit/accessrecord/{ours.pk}/change/").status_code == 200
    assert client.get(f"/admin/audit/accessrecord/{theirs.pk}/change/").status_code in (302, 404)
    # Browsing the trail is recorded, as searching it through the API is.
    [search] = AccessRecord.objects.filter(action=Action.SEARCH_TRAIL)
    assert (search.actor_id, search.detail["via"]) == (supervisor.pk, "admin")


@pytest.mark.parametrize("who", ["supervisor", "admin_user"])
def test_nobody_changes_or_deletes_the_trail_in_the_admin(request, trail, who):
    ours, _ = trail
    client = admin_client(request.getfixturevalue(who))
    base = f"/admin/audit/accessrecord/{ours.pk}"

    assert client.get("/admin/audit/accessrecord/add/").status_code == 403
    assert client.get(f"{base}/delete/").status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}/change/", {"reason": "rewritten"}).status_code == 403
    bulk = client.post(
        "/admin/audit/accessrecord/",
        {"action": "delete_selected", "_selected_action": [ours.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    ours.refresh_from_db()
    assert ours.reason == "identifier"
    assert AccessRecord.objects.filter(pk=ours.pk).exists()
