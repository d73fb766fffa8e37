"""Residents' rights: a member downloads what Vigie holds about them, and erases their account.

The export holds the member's data and no one else's; the erasure anonymises the account in
place, drops what only served them, and leaves their reports to the operators without an
author, until retention purges them.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from PIL import Image

from accounts.models import Role, User, VettingDecision, VettingStatus
from alerts.models import Device
from alerts.payloads import device_payload
from audit.models import AccessRecord, Action
from audit.services import record
from common.models import IdempotencyRecord
from live.models import Event
from live.services import publish
from notifications.models import Notification, PushDevice, PushMessage
from notifications.services import broadcast_to_area, register_push_device
from reporting.models import Report
from reporting.payloads import report_payload
from reporting.services import triage
from tests.factories import PARIS_HOTEL_DE_VILLE, PASSWORD, file_report, moved, point_json

pytestmark = pytest.mark.django_db

EXPORT, ME = "/api/v1/me/export/", "/api/v1/me/"
RESIDENT_PUSH = "fcm-token-of-the-resident-0123456789abcdef"
NEIGHBOUR_PUSH = "neighbours-own-fcm-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def signed_in(as_user, user):
    """A client with the member's app token, and the token's key."""
    client = as_user(user)
    return client, client._credentials["HTTP_AUTHORIZATION"].split()[1]


@pytest.fixture
def history(paris, resident, other_resident, operator, supervisor, as_user):
    """Two reports of the resident (one sent from the app with a photo and an Idempotency-Key,
    one acknowledged, so they were notified), a push device, a broadcast to the whole city;
    and the same kinds of things for their neighbour, which must not leak into the export."""
    client = as_user(resident)
    upload = io.BytesIO(jpeg())
    upload.name = "photo.jpg"
    sent = client.post(
        "/api/v1/reports/",
        {
            "category": "illegal_dumping",
            "description": "Gravats devant le 12",
            "location": json.dumps(point_json(moved(PARIS_HOTEL_DE_VILLE, 80, 10))),
            "accuracy_m": "9",
            "media": upload,
        },
        format="multipart",
        headers={"Idempotency-Key": "first-report"},
    )
    assert sent.status_code == 201, sent.json()
    with_photo = Report.objects.get(pk=sent.json()["id"])
    register_push_device(resident, token=RESIDENT_PUSH, platform="android")
    register_push_device(other_resident, token=NEIGHBOUR_PUSH, platform="ios")
    second = file_report(resident, description="Bagarre rue de Rivoli")
    triage.acknowledge_report(second, operator=operator)
    neighbours = file_report(other_resident, description="Voiture ventouse")
    triage.acknowledge_report(neighbours, operator=operator)
    broadcast = broadcast_to_area(
        centre=paris,
        author=supervisor,
        title="Fuite de gaz",
        body="Restez chez vous.",
        severity="Severe",
        area=paris.jurisdiction,
        expires_at=timezone.now() + timedelta(hours=2),
    )
    # What the console records when an operator opens the report (item 2 of the issue).
    record(
        actor=operator,
        action=Action.VIEW_REPORT,
        target_type="report",
        target_id=second.pk,
        target_label=second.reference,
        centre_id=paris.pk,
    )
    return {
        "reports": [with_photo, second],
        "neighbours": neighbours,
        "broadcast": broadcast,
    }


# --- export ---------------------------------------------------------------------------------


def test_a_resident_downloads_everything_about_them_and_nothing_of_their_neighbour(
    as_user, resident, other_resident, operator, history
):
    response = as_user(resident).get(EXPORT)

    assert response.status_code == 200
    data = json.loads(response.content)
    assert set(data) == {
        "format",
        "generated_at",
        "account",
        "vetting",
        "reports",
        "notifications",
        "broadcasts",
        "push_devices",
        "app_tokens",
        "devices",
        "access_trail",
    }
    account = data["account"]
    assert account["username"] == "resident"
    assert account["email"] == "resident@example.org"
    assert account["role"] == Role.RESIDENT
    assert account["status"] == VettingStatus.APPROVED
    assert account["address_location"]["type"] == "Point"
    assert account["centres"] == [{"id": resident.centres.get().pk, "name": "CSU de Paris"}]

    assert [r["reference"] for r in data["reports"]] == [r.reference for r in history["reports"]]
    with_photo, second = data["reports"]
    assert with_photo["description"] == "Gravats devant le 12"
    assert with_photo["category"] == "illegal_dumping"
    assert with_photo["location"]["coordinates"] == pytest.approx(
        list(history["reports"][0].location.coords)
    )
    [media] = with_photo["media"]
    attachment = history["reports"][0].attachments.get()
    assert media["url"] == f"/api/v1/reports/{history['reports'][0].pk}/media/{attachment.pk}/"
    assert as_user(resident).get(media["url"]).status_code == 200  # the link works
    assert second["status"] == "acknowledged"

    assert [d["token"] for d in data["push_devices"]] == [RESIDENT_PUSH[:12] + "…"]
    assert {n["data"].get("reference") for n in data["notifications"]} == {
        history["reports"][1].reference,
        None,  # the broadcast's notification
    }
    assert [b["title"] for b in data["broadcasts"]] == ["Fuite de gaz"]
    assert len(data["app_tokens"]) == 2  # the history's app, and this one
    assert set(data["app_tokens"][0]) == {"created", "expiry"}
    assert data["vetting"] == [
        {
            "from_status": "",
            "to_status": "approved",
            "reason": "account created by the city (create_user)",
            "decided_at": data["vetting"][0]["decided_at"],
            "decided_by": "system",
        }
    ]
    accesses = data["access_trail"]["accesses_to_your_data"]
    [viewed] = [a for a in accesses if a["action"] == Action.VIEW_REPORT]
    assert viewed["target"] == history["reports"][1].reference
    assert viewed["by_role"] == Role.OPERATOR
    assert all("by" not in a and "ip_address" not in a for a in accesses)
    assert {a["action"] for a in accesses} == {"change", "view_report"}

    text = response.content.decode()
    # Nothing of the neighbour, nothing naming the staff.
    for foreign in [
        other_resident.username,
        other_resident.email,
        history["neighbours"].reference,
        "Voiture ventouse",
        NEIGHBOUR_PUSH[:12],
        operator.email,  # ("operator" is also the role's name)
        "supervisor",
        "acknowledged_by",
    ]:
        assert foreign not in text


def test_the_export_is_a_file_no_cache_keeps_and_the_trail_records_it(as_user, resident):
    response = as_user(resident).get(EXPORT)

    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="vigie-resident-{today}.json"'
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("application/json")
    trail = AccessRecord.objects.get(action=Action.EXPORT, actor_id=resident.pk)
    assert (trail.actor_id, trail.target_type, trail.target_id) == (
        resident.pk,
        "user",
        resident.pk,
    )
    assert trail.centre_id == resident.centres.get().pk
    # The next export lists this one among the member's own actions.
    again = json.loads(as_user(resident).get(EXPORT).content)
    assert [a["action"] for a in again["access_trail"]["your_actions"]] == ["export"]


def test_failed_sign_ins_on_their_account_are_in_the_export_without_the_address(api, resident):
    refused = api.post(
        "/api/v1/auth/token/",
        {"username": "resident", "password": "a-wrong-guess"},
        format="json",
        REMOTE_ADDR="203.0.113.9",
    )
    assert refused.status_code == 401
    signed = api.post(
        "/api/v1/auth/token/", {"username": "resident", "password": PASSWORD}, format="json"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {signed.json()['token']}")

    data = json.loads(api.get(EXPORT).content)

    [failed] = data["access_trail"]["accesses_to_your_data"]
    assert failed["action"] == "login_failed"
    assert "203.0.113.9" not in json.dumps(data)
    assert [a["action"] for a in data["access_trail"]["your_actions"]] == ["login"]


def test_a_business_export_holds_its_devices_and_alerts_without_their_secrets(
    as_user, business, button
):
    client = as_user(business)
    pressed = client.post("/api/v1/alerts/press/", {}, format="json")
    assert pressed.status_code == 201, pressed.json()

    response = client.get(EXPORT)

    assert response.status_code == 200
    data = json.loads(response.content)
    devices = {device["id"]: device for device in data["devices"]}
    in_app = Device.objects.get(owner=business, in_app=True)
    assert set(devices) == {button.pk, in_app.pk}
    assert devices[button.pk]["name"] == "Pharmacie de l'Hôtel de Ville"
    assert devices[button.pk]["has_cancel_pin"] is True
    assert devices[button.pk]["location"]["coordinates"] == pytest.approx(
        list(PARIS_HOTEL_DE_VILLE.coords)
    )
    assert [a["reference"] for a in devices[in_app.pk]["alerts"]] == [pressed.json()["reference"]]
    assert [r["source"] for r in data["reports"]] == ["alert_button"]
    text = response.content.decode()
    for secret in [button.secret, in_app.secret, button.cancel_pin, button.duress_pin]:
        assert secret not in text
    assert "secret" not in devices[button.pk]
    # The devices' registration is in the trail of their data.
    accesses = data["access_trail"]["accesses_to_your_data"]
    assert {a["target_type"] for a in accesses} >= {"device"}
    assert "sip_uri" not in devices[button.pk]


def test_a_pending_applicant_may_download_their_data_too(as_user, pending_resident):
    response = as_user(pending_resident).get(EXPORT)

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["account"]["full_name"] == "Camille Martin"
    assert data["account"]["phone"] == "+33 6 12 34 56 78"
    assert [d["reason"] for d in data["vetting"]] == ["enrolled"]


@pytest.mark.parametrize(
    "who", ["operator", "supervisor", "vetting_officer", "police_officer", "admin_user"]
)
def test_staff_are_refused_both_rights(as_user, request, who):
    staff = request.getfixturevalue(who)
    client = as_user(staff)

    assert client.get(EXPORT).status_code == 403
    response = client.delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "staff_account"
    assert User.objects.get(pk=staff.pk).username == staff.username
    assert not AccessRecord.objects.filter(action__in=[Action.EXPORT, Action.ERASURE]).exists()


def test_without_credentials_nothing_is_exported_or_erased(api, resident):
    assert api.get(EXPORT).status_code == 401
    assert api.delete(ME, {"password": PASSWORD}, format="json").status_code == 401
    assert User.objects.get(pk=resident.pk).is_active


# --- erasure --------------------------------------------------------------------------------


def test_a_wrong_password_erases_nothing(as_user, resident, history):
    client, _token = signed_in(as_user, resident)

    response = client.delete(ME, {"password": "not-my-password"}, format="json")

    # 422, not 401: the token is still good (a 401 would sign the app out).
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_password"
    member = User.objects.get(pk=resident.pk)
    assert (member.username, member.email, member.is_active) == (
        "resident",
        "resident@example.org",
        True,
    )
    assert member.check_password(PASSWORD)
    assert Report.objects.filter(author=resident).count() == 2
    assert PushDevice.objects.filter(user=resident).exists()
    assert not AccessRecord.objects.filter(action=Action.ERASURE).exists()
    assert client.get(EXPORT).status_code == 200


def test_a_missing_password_is_a_400(as_user, resident):
    response = as_user(resident).delete(ME, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"password"}


def test_erasure_anonymises_the_account_and_keeps_the_reports_for_the_operators(
    as_user, resident, other_resident, operator, history
):
    client, token = signed_in(as_user, resident)
    as_user(resident)  # a second device of theirs, signed in too
    reports = {r.pk: (r.reference, r.description, r.location.coords) for r in history["reports"]}
    assert IdempotencyRecord.objects.filter(sender=f"user:{resident.pk}").exists()
    assert PushMessage.objects.filter(device__user=resident).exists()

    response = client.delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    member = User.objects.get(pk=resident.pk)
    assert member.username == f"erased-{resident.pk}"
    assert (member.email, member.phone, member.full_name, member.address) == ("", "", "", "")
    assert (member.first_name, member.last_name) == ("", "")
    assert member.address_location is None
    assert member.last_login is None
    assert not member.is_active
    assert not member.has_usable_password()
    assert not member.groups.exists()
    assert member.status == VettingStatus.REVOKED
    assert member.role == Role.RESIDENT  # anonymous statistics still count residents

    # Reports: all there, same content, no author.
    for pk, (reference, description, coords) in reports.items():
        report = Report.objects.get(pk=pk)
        assert report.author_id is None
        assert (report.reference, report.description) == (reference, description)
        assert report.location.coords == pytest.approx(coords)
        assert report.attachments.count() == (1 if report.description.startswith("Gravats") else 0)

    # What only served the member is gone; the neighbour's is untouched.
    assert not AuthToken.objects.filter(user=resident).exists()
    assert not PushDevice.objects.filter(user=resident).exists()
    assert not Notification.objects.filter(recipient=resident).exists()
    assert not PushMessage.objects.filter(notification__recipient=resident).exists()
    assert not IdempotencyRecord.objects.filter(sender=f"user:{resident.pk}").exists()
    assert PushDevice.objects.filter(user=other_resident).exists()
    assert Notification.objects.filter(recipient=other_resident).count() == 2
    assert Report.objects.filter(author=other_resident).count() == 1

    # The vetting history stays, ending with why the account closed.
    last = VettingDecision.objects.filter(member=resident).last()
    assert (last.to_status, last.reason) == ("revoked", "Account erased at the member's request.")

    # The trail: who asked (as they were known), and what was done.
    trail = AccessRecord.objects.get(action=Action.ERASURE)
    assert (trail.actor_id, trail.actor_username, trail.actor_role) == (
        resident.pk,
        "resident",
        Role.RESIDENT,
    )
    assert (trail.target_type, trail.target_id, trail.target_label) == (
        "user",
        resident.pk,
        f"erased-{resident.pk}",
    )
    assert trail.detail["reports_anonymised"] == 2
    assert trail.detail["app_tokens"] == 3  # the history's app, and these two
    assert trail.detail["push_devices"] == 1
    assert trail.detail["notifications"] == 2


def test_the_old_token_is_refused_and_nothing_more_can_be_exported(as_user, resident, history):
    client, token = signed_in(as_user, resident)
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    assert client.get(EXPORT).status_code == 401
    assert client.get("/api/v1/reports/").status_code == 401
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 401
    # Nor can anyone sign in again, with the old name or the new one.
    for username in ["resident", f"erased-{resident.pk}"]:
        response = client.post(
            "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 401


def test_operators_still_see_the_report_and_it_says_nothing_of_its_author(
    as_user, resident, operator, history
):
    client, _token = signed_in(as_user, resident)
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    listed = as_user(operator).get("/api/v1/reports/")

    assert listed.status_code == 200
    references = {r["reference"] for r in listed.json()["results"]}
    assert {r.reference for r in history["reports"]} <= references
    detail = as_user(operator).get(f"/api/v1/reports/{history['reports'][0].pk}/").json()
    assert detail["description"] == "Gravats devant le 12"
    # Neither the payload operators read nor the console's event log names the author.
    events = Event.objects.filter(type__startswith="report.")
    texts = [json.dumps(report_payload(r)) for r in history["reports"]]
    texts += [json.dumps(event.data) for event in events]
    for text in texts:
        for personal in ['"resident"', "resident@example.org", "author", f'"{resident.pk}"']:
            assert personal not in text.replace('"source": "resident"', "")


def test_the_username_is_free_again_after_erasure(api, as_user, resident):
    client, _token = signed_in(as_user, resident)
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    enrolled = api.post(
        "/api/v1/residents/",
        {
            "username": "Resident",  # usernames are unique whatever their case
            "password": "another-long-passphrase",
            "email": "resident@example.org",
            "phone": "+33 6 00 00 00 00",
            "full_name": "Someone Else",
            "address": "5 rue de Rivoli, 75004 Paris",
            "address_location": point_json(PARIS_HOTEL_DE_VILLE),
        },
        format="json",
    )

    assert enrolled.status_code == 201, enrolled.json()
    assert enrolled.json()["id"] != resident.pk
    assert not Report.objects.filter(author_id=enrolled.json()["id"]).exists()


def test_failed_sign_ins_under_the_old_name_are_forgotten(api, as_user, resident):
    from axes.models import AccessAttempt

    refused = api.post(
        "/api/v1/auth/token/", {"username": "Resident", "password": "guess"}, format="json"
    )
    assert refused.status_code == 401
    assert AccessAttempt.objects.filter(username__iexact="resident").exists()
    client, _token = signed_in(as_user, resident)

    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    # A newcomer who enrols as "resident" does not start half locked out.
    assert not AccessAttempt.objects.filter(username__iexact="resident").exists()


def test_an_erased_account_cannot_be_approved_back(as_user, resident, vetting_officer):
    client, _token = signed_in(as_user, resident)
    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    response = as_user(vetting_officer).post(
        f"/api/v1/residents/{resident.pk}/approve/", {"reason": "oops"}, format="json"
    )

    assert response.status_code == 409
    assert User.objects.get(pk=resident.pk).status == VettingStatus.REVOKED


def test_a_pending_applicant_may_withdraw_and_erase(as_user, pending_resident):
    client, _token = signed_in(as_user, pending_resident)

    response = client.delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    member = User.objects.get(pk=pending_resident.pk)
    assert (member.full_name, member.phone, member.address) == ("", "", "")
    assert list(
        VettingDecision.objects.filter(member=member).values_list("from_status", "to_status")
    ) == [("", "pending"), ("pending", "revoked")]


def test_a_business_erasure_revokes_its_devices_and_unnames_its_app_button(
    as_user, business, button, operator
):
    client, _token = signed_in(as_user, business)
    pressed = client.post("/api/v1/alerts/press/", {}, format="json")
    assert pressed.status_code == 201
    in_app = Device.objects.get(owner=business, in_app=True)
    assert in_app.name == "bakery"  # named after the account: a personal copy
    # Device events carry the device's name (an in-app button is never supervised, but
    # one announced by an older version, or by an admin's change, must not keep it).
    with transaction.atomic():
        publish(in_app.centre_id, "device.online", device_payload(in_app))

    response = client.delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    in_app.refresh_from_db()
    button.refresh_from_db()
    assert in_app.status == button.status == Device.Status.REVOKED
    assert "bakery" not in in_app.name
    event = Event.objects.get(type="device.online", data__id=in_app.pk)
    assert event.data["name"] == in_app.name
    # The press itself stays for the operators, without its author.
    report = Report.objects.get(reference=pressed.json()["reference"])
    assert report.author_id is None
    assert report.reference in {
        r["reference"] for r in as_user(operator).get("/api/v1/reports/").json()["results"]
    }
    trail = AccessRecord.objects.get(action=Action.ERASURE)
    assert sorted(trail.detail["devices_revoked"]) == sorted([button.pk, in_app.pk])
