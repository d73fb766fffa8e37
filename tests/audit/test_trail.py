"""The access trail: what staff see and change is recorded with who and why, in the same
transaction; supervisors search their centres' trail; nobody can alter it, not even with SQL."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone
from PIL import Image
from psycopg.errors import InsufficientPrivilege

from audit.models import AccessRecord, Action
from reporting.media import check_upload
from reporting.models import Status
from reporting.services import triage
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    UserFactory,
    camera_at,
    file_report,
    moved,
)

URL = "/api/v1/reports/"
TRAIL = "/api/v1/access-records/"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def report(resident):
    upload = SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg")
    return file_report(resident, media=[check_upload(upload)], description="A fight")


@pytest.fixture
def media_url(report):
    return f"{URL}{report.pk}/media/{report.attachments.get().pk}/"


def records(**filters):
    return list(AccessRecord.objects.filter(**filters).order_by("id"))


# --- what is recorded ----------------------------------------------------------------------


def test_an_operator_reading_a_report_is_recorded(as_user, operator, report):
    response = as_user(operator).get(f"{URL}{report.pk}/", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    [seen] = records(action=Action.VIEW_REPORT)
    assert (seen.actor_id, seen.actor_username, seen.actor_role) == (
        operator.pk,
        "operator",
        "operator",
    )
    assert (seen.target_type, seen.target_id, seen.target_label) == (
        "report",
        report.pk,
        report.reference,
    )
    assert seen.centre_id == report.centre_id
    assert seen.ip_address == "10.1.2.3"


def test_a_resident_reading_their_own_report_is_not_recorded(as_user, resident, report):
    assert as_user(resident).get(f"{URL}{report.pk}/").status_code == 200
    assert records() == []


def test_a_refused_read_records_nothing(as_user, outsider_operator, report):
    assert as_user(outsider_operator).get(f"{URL}{report.pk}/").status_code == 404
    assert records() == []


def test_opening_an_attachment_with_a_reason_serves_it_and_records_the_reason(
    as_user, operator, report, media_url
):
    response = as_user(operator).get(media_url, {"reason": "identifier l'agresseur"})

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    [opened] = records(action=Action.VIEW_ATTACHMENT)
    assert opened.reason == "identifier l'agresseur"
    assert (opened.target_type, opened.target_id) == ("attachment", report.attachments.get().pk)
    assert (opened.target_label, opened.centre_id) == (report.reference, report.centre_id)
    assert opened.detail["report"] == report.pk


def test_the_reason_may_come_in_a_percent_encoded_header(as_user, operator, media_url):
    response = as_user(operator).get(
        media_url, headers={"X-Access-Reason": "r%C3%A9quisition%20OPJ%20n%C2%B042"}
    )

    assert response.status_code == 200
    assert records(action=Action.VIEW_ATTACHMENT)[0].reason == "réquisition OPJ n°42"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_staff_without_a_reason_get_no_bytes_and_a_422(as_user, operator, media_url, reason):
    query = {} if reason is None else {"reason": reason}
    response = as_user(operator).get(media_url, query)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reason_required"
    assert "reason" in response.json()["error"]["fields"]
    assert response["Content-Type"] == "application/json"
    assert b"\xff\xd8\xff" not in response.content
    assert records() == []


def test_a_reason_longer_than_500_characters_is_refused(as_user, operator, media_url):
    response = as_user(operator).get(media_url, {"reason": "x" * 501})
    assert response.status_code == 400
    assert records() == []


def test_a_police_officers_reason_is_their_units_intervention(
    as_user, operator, police_officer, unit, report, media_url
):
    from dispatch.services import dispatch_unit

    intervention = dispatch_unit(report, unit=unit, operator=operator)

    response = as_user(police_officer).get(media_url)

    assert response.status_code == 200
    [opened] = records(action=Action.VIEW_ATTACHMENT)
    assert (opened.actor_id, opened.reason) == (
        police_officer.pk,
        f"intervention #{intervention.pk}",
    )


def test_the_author_opens_their_own_photo_without_a_reason(as_user, resident, media_url):
    response = as_user(resident).get(media_url)
    assert response.status_code == 200
    assert records() == []


def test_the_schema_documents_the_reason(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/reports/{report_id}/media/{attachment_id}/"]["get"]
    names = {(p["name"], p["in"]) for p in operation["parameters"]}
    assert {("reason", "query"), ("X-Access-Reason", "header")} <= names
    assert "reason_required" in operation["description"]
    assert "422" in operation["responses"]


def test_reading_camera_links_is_recorded(
    as_user, operator, resident, paris, django_capture_on_commit_callbacks
):
    camera = camera_at(
        paris,
        moved(PARIS_HOTEL_DE_VILLE, 40, 0),
        "PP-1",
        kind="dome",
        range_m=100,
        stream_url="rtsp://vms.example/live/{id}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        linked = file_report(resident)

    response = as_user(operator).get(f"{URL}{linked.pk}/cameras/")

    assert response.status_code == 200
    assert response.json()[0]["stream_url"]
    [seen] = records(action=Action.VIEW_CAMERAS)
    assert (seen.target_type, seen.target_id, seen.target_label) == (
        "camera_links",
        linked.pk,
        linked.reference,
    )
    assert seen.detail["cameras"] == [camera.pk]


def test_downloading_figures_is_an_export_per_centre(as_user, operator):
    response = as_user(operator).get("/api/v1/figures/response-times/")

    assert response.status_code == 200
    [export] = records(action=Action.EXPORT)
    assert (export.target_type, export.actor_id) == ("figures", operator.pk)
    assert export.centre_id == operator.centres.get().pk
    assert export.detail["via"] == "api"


def test_the_figures_page_is_an_export_too(client, operator):
    client.force_login(operator)
    assert client.get("/console/figures/").status_code == 200
    assert records(action=Action.EXPORT)[0].detail["via"] == "page"


# --- who changed what ----------------------------------------------------------------------


def test_acknowledging_records_who_changed_what(as_user, operator, report):
    response = as_user(operator).post(f"{URL}{report.pk}/acknowledge/")

    assert response.status_code == 200
    [change] = records(action=Action.CHANGE)
    assert change.actor_id == operator.pk
    assert change.detail == {"change": "acknowledge"}
    assert (change.target_id, change.centre_id) == (report.pk, report.centre_id)


def test_a_refused_change_records_nothing(as_user, operator, report):
    triage.acknowledge_report(report, operator=operator)
    before = AccessRecord.objects.count()

    response = as_user(operator).post(f"{URL}{report.pk}/acknowledge/")

    assert response.status_code == 409
    assert AccessRecord.objects.count() == before


def test_the_change_record_is_in_the_changes_own_transaction(operator, report):
    """If what the change belongs to fails after it, neither the change nor its record stay."""
    written = []

    def change_then_fail():
        with transaction.atomic():
            triage.acknowledge_report(report, operator=operator)
            written.extend(records(action=Action.CHANGE))  # inside the transaction
            raise RuntimeError("the caller fails after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert len(written) == 1

    report.refresh_from_db()
    assert report.status == Status.NEW
    assert records(action=Action.CHANGE) == []


def test_closing_and_merging_are_recorded(operator, resident, report):
    other = file_report(resident, where=moved(PARIS_HOTEL_DE_VILLE, 30, 90))
    incident = triage.merge_reports(report, into=other, operator=operator)
    triage.close_report(other, operator=operator, outcome="handled", note="done")

    changes = [(r.target_id, r.detail["change"]) for r in records(action=Action.CHANGE)]
    assert changes == [(report.pk, "merge"), (other.pk, "merge"), (other.pk, "close")]
    assert records(action=Action.CHANGE)[0].detail["incident"] == incident.pk


def test_dispatch_and_the_officers_own_moves_are_recorded(
    as_user, operator, police_officer, unit, report
):
    dispatched = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert dispatched.status_code == 201
    intervention = dispatched.json()["id"]
    moved_on = as_user(police_officer).post(
        f"/api/v1/interventions/{intervention}/transition/", {"to": "acknowledged"}, format="json"
    )
    assert moved_on.status_code == 200

    moves = records(action=Action.CHANGE, target_type="intervention")
    assert [(r.actor_username, r.detail["change"]) for r in moves] == [
        ("operator", "dispatch"),
        ("police", "transition"),
    ]
    assert moves[1].detail["to"] == "acknowledged"
    assert {r.target_label for r in moves} == {report.reference}
    # The dispatch acknowledged the new report on the way: that change is there too.
    assert records(action=Action.CHANGE, target_type="report")[0].detail["change"] == (
        "acknowledge"
    )


def test_a_broadcast_is_recorded(as_user, supervisor, paris):
    from notifications.services import broadcast_to_area

    broadcast = broadcast_to_area(
        centre=paris,
        author=supervisor,
        title="Fuite de gaz",
        body="Restez chez vous.",
        severity="Severe",
        area=paris.jurisdiction,
        expires_at=timezone.now() + timedelta(hours=2),
    )

    [change] = records(action=Action.CHANGE, target_type="broadcast")
    assert (change.actor_id, change.target_id, change.centre_id) == (
        supervisor.pk,
        broadcast.pk,
        paris.pk,
    )
    assert change.detail["change"] == "broadcast"


def test_revoking_a_device_is_recorded(admin_user, button):
    from alerts.services import revoke_device

    revoke_device(button, by=admin_user)

    changes = records(action=Action.CHANGE, target_type="device", target_id=button.pk)
    assert [r.detail["change"] for r in changes] == ["create_device", "revoke_device"]
    assert changes[1].actor_id == admin_user.pk


# --- the trail cannot be altered ------------------------------------------------------------


@pytest.fixture
def kept(operator):
    return AccessRecord.objects.create(
        actor_id=operator.pk, actor_username="operator", action=Action.VIEW_REPORT, reason="r"
    )


def _refused(statement):
    """Run `statement` in a savepoint; return the database's refusal: the trigger raises
    SQLSTATE 42501 (insufficient_privilege), which Django surfaces as a ProgrammingError."""
    with pytest.raises(ProgrammingError) as refused, transaction.atomic():
        statement()
    assert isinstance(refused.value.__cause__, InsufficientPrivilege)
    return refused.value


def test_an_update_is_refused_by_the_database(kept):
    error = _refused(lambda: AccessRecord.objects.filter(pk=kept.pk).update(reason="nothing"))

    assert "append-only" in str(error)
    kept.refresh_from_db()
    assert kept.reason == "r"


def test_saving_a_changed_row_is_refused_too(kept):
    kept.reason = "rewritten"
    _refused(lambda: kept.save())
    assert AccessRecord.objects.get(pk=kept.pk).reason == "r"


def test_a_recent_row_cannot_be_deleted(kept):
    error = _refused(lambda: AccessRecord.objects.filter(pk=kept.pk).delete())

    assert "366 days" in str(error)
    assert AccessRecord.objects.filter(pk=kept.pk).exists()


def test_raw_sql_is_refused_as_well(kept):
    def update():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_accessrecord SET actor_username = 'x' WHERE id = %s", [kept.pk]
            )

    def delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_accessrecord WHERE id = %s", [kept.pk])

    _refused(update)
    _refused(delete)
    kept.refresh_from_db()
    assert kept.actor_username == "operator"


def test_a_row_older_than_366_days_may_be_deleted(operator):
    old = AccessRecord.objects.create(
        at=timezone.now() - timedelta(days=400), actor_username="old", action=Action.LOGIN
    )

    deleted, _ = AccessRecord.objects.filter(pk=old.pk).delete()

    assert deleted == 1
    assert not AccessRecord.objects.filter(pk=old.pk).exists()


# --- supervisors search the trail of their centres ------------------------------------------


@pytest.fixture
def trail(paris, saint_denis, operator, outsider_operator):
    """One access in each centre, and a sign-in of the Saint-Denis operator (no centre)."""
    ours = AccessRecord.objects.create(
        actor_id=operator.pk,
        actor_username="operator",
        action=Action.VIEW_ATTACHMENT,
        target_type="attachment",
        target_id=7,
        target_label="PAR-2026-000001",
        centre_id=paris.pk,
        reason="identifier",
    )
    theirs = AccessRecord.objects.create(
        actor_id=outsider_operator.pk,
        actor_username="operator-sd",
        action=Action.VIEW_REPORT,
        target_type="report",
        target_label="STD-2026-000001",
        centre_id=saint_denis.pk,
    )
    return ours, theirs


def test_a_supervisor_searches_their_centres_trail_only(as_user, supervisor, trail):
    ours, _theirs = trail

    response = as_user(supervisor).get(TRAIL)

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [ours.pk]
    assert body["count"] == 1
    assert body["results"][0]["reason"] == "identifier"
    assert body["results"][0]["reference"] == "PAR-2026-000001"


def test_the_filters_narrow_the_search(as_user, supervisor, paris, trail):
    ours, _ = trail
    AccessRecord.objects.create(
        actor_username="operator", action=Action.VIEW_REPORT, centre_id=paris.pk
    )
    client = as_user(supervisor)

    def ids(**query):
        response = client.get(TRAIL, query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(action="view_attachment") == [ours.pk]
    assert ids(reference="par-2026-000001") == [ours.pk]
    assert ids(target_type="attachment", target_id=7) == [ours.pk]
    assert ids(actor="OPERATOR", action="view_attachment") == [ours.pk]
    assert ids(actor="nobody") == []
    assert ids(since=(timezone.now() + timedelta(minutes=1)).isoformat()) == []
    assert len(ids(until=(timezone.now() + timedelta(minutes=1)).isoformat())) >= 2


def test_a_bad_filter_is_a_400_not_a_500(as_user, supervisor):
    response = as_user(supervisor).get(TRAIL, {"since": "yesterday", "action": "dance"})
    assert response.status_code == 400


def test_each_search_is_itself_recorded(as_user, supervisor, paris, trail):
    as_user(supervisor).get(TRAIL, {"reference": "PAR-2026-000001"})

    [search] = records(action=Action.SEARCH_TRAIL)
    assert search.actor_id == supervisor.pk
    assert search.centre_id == paris.pk
    assert search.detail == {"filters": {"reference": "PAR-2026-000001"}, "results": 1}
    # The supervisor sees their own search next time.
    again = as_user(supervisor).get(TRAIL, {"action": "search_trail"}).json()
    assert [row["id"] for row in again["results"]] == [search.pk]


def test_the_outsiders_supervisor_sees_the_other_centre(as_user, saint_denis, trail):
    _, theirs = trail
    outsider = UserFactory(username="supervisor-sd", role="supervisor", centre=saint_denis)

    body = as_user(outsider).get(TRAIL).json()

    assert [row["id"] for row in body["results"]] == [theirs.pk]


def test_an_administrator_sees_every_centre(as_user, admin_user, trail):
    body = as_user(admin_user).get(TRAIL).json()
    assert {row["id"] for row in body["results"]} == {record.pk for record in trail}


@pytest.mark.parametrize(
    "who", ["operator", "vetting_officer", "police_officer", "resident", "outsider_operator"]
)
def test_other_roles_are_refused(request, as_user, trail, who):
    response = as_user(request.getfixturevalue(who)).get(TRAIL)

    assert response.status_code == 403
    assert records(action=Action.SEARCH_TRAIL) == []


def test_anonymous_is_refused(api, trail):
    assert api.get(TRAIL).status_code == 401
