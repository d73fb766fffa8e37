"""The retention purge: nothing personal outlives its centre's retention period, unless a
supervisor put the report on legal hold; each purged report leaves anonymous figures only.

Time travel moves rows' timestamps back with `.update()`, as the scans would find them."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from alerts.models import RefusedDeviceRequest
from audit.models import AccessRecord, Action
from cameras.models import CameraLink, PtzCommand
from cameras.services import link_report
from common.models import IdempotencyRecord
from dispatch.models import Intervention, InterventionEvent, UnitPosition
from dispatch.services import dispatch_unit, transition_intervention
from live.models import Event
from notifications.models import Notification
from privacy import retention
from privacy.models import ReportStatistic
from reporting.models import Attachment, Incident, Report
from reporting.services import custody, triage
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    camera_at,
    file_report,
    moved,
    point_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_files():
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def age(report: Report, days: float) -> Report:
    """Move a report (and its attachments) `days` back in time."""
    Report.objects.filter(pk=report.pk).update(created_at=days_ago(days))
    Attachment.objects.filter(report=report).update(created_at=days_ago(days))
    report.refresh_from_db()
    return report


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def report_with_photo(as_user, resident) -> Report:
    """A report sent through the public door, with one photo stored on disk."""
    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg(), content_type="image/jpeg")
    response = as_user(resident).post(
        "/api/v1/reports/",
        {
            "category": "fight",
            "description": "Two groups fighting.",
            "location": json.dumps(point_json(PARIS_HOTEL_DE_VILLE)),
            "media": [upload],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def handled(report: Report, *, operator, unit) -> Intervention:
    """Acknowledged, a unit sent, on scene, resolved, closed: the full life of a report."""
    triage.acknowledge_report(report, operator=operator)
    intervention = dispatch_unit(report, unit=unit, operator=operator)
    for to in ("acknowledged", "en_route", "on_scene"):
        transition_intervention(intervention, to=to, by=operator)
    transition_intervention(intervention, to="resolved", by=operator, outcome="warning")
    triage.close_report(report, operator=operator, outcome="handled", note="Dispersed.")
    return intervention


def purge(capture, **options):
    """Run the purge and the file deletions that wait for its commits."""
    with capture(execute=True):
        return retention.purge_expired(**options)


@pytest.fixture
def camera(paris):
    return camera_at(paris, moved(PARIS_HOTEL_DE_VILLE, 60, 180), kind="dome", range_m=150)


def test_a_report_past_retention_goes_with_its_file_links_and_interventions(
    as_user, resident, operator, unit, camera, django_capture_on_commit_callbacks
):
    old = report_with_photo(as_user, resident)
    link_report(report_id=old.pk, location=old.location, centre_id=old.centre_id)
    intervention = handled(old, operator=operator, unit=unit)
    age(old, 31)
    (photo,) = stored_files()
    assert CameraLink.objects.filter(report=old).count() == 1
    # Made by hand: the pointing service commits on its own (durable), not inside a test.
    ptz = PtzCommand.objects.create(
        camera=camera,
        report=old,
        target=old.location,
        pan_deg=10,
        tilt_deg=-5,
        zoom=2,
        driver="simulated",
        status="sent",
    )

    result = purge(django_capture_on_commit_callbacks)

    assert not Report.objects.filter(pk=old.pk).exists()
    assert not Attachment.objects.exists()
    assert not photo.exists()
    assert stored_files() == []
    assert not CameraLink.objects.exists()
    assert not Intervention.objects.filter(pk=intervention.pk).exists()
    assert not InterventionEvent.objects.exists()
    counts = result["centres"]["paris-csu"]
    assert counts["reports"] == counts["statistics"] == counts["files"] == 1
    assert counts["attachments"] == counts["camera_links"] == counts["interventions"] == 1
    assert (
        counts["intervention_events"] == 5
    )  # dispatched, acknowledged, en route, on scene, resolved
    ptz.refresh_from_db()  # a recent order stays, without its report
    assert ptz.report_id is None
    assert camera.pk  # the camera itself stays


def test_old_pointing_orders_go_but_those_of_a_held_report_stay(
    resident, supervisor, camera, django_capture_on_commit_callbacks
):
    held, other = file_report(resident), file_report(resident)
    custody.set_legal_hold(held, supervisor=supervisor, reason="Enquête 2026/9")
    for report in (held, other, None):
        PtzCommand.objects.create(
            camera=camera,
            report=report,
            target=camera.location,
            pan_deg=0,
            tilt_deg=0,
            zoom=1,
            driver="simulated",
            status="sent",
        )
    PtzCommand.objects.update(created_at=days_ago(31))

    result = purge(django_capture_on_commit_callbacks)

    assert list(PtzCommand.objects.values_list("report_id", flat=True)) == [held.pk]
    assert result["centres"]["paris-csu"]["ptz_commands"] == 2


def test_a_report_within_retention_stays(as_user, resident, django_capture_on_commit_callbacks):
    young = age(report_with_photo(as_user, resident), 29)

    purge(django_capture_on_commit_callbacks)

    assert Report.objects.filter(pk=young.pk).exists()
    assert Attachment.objects.filter(report=young).count() == 1
    assert len(stored_files()) == 1
    assert not ReportStatistic.objects.exists()


def test_a_report_on_legal_hold_stays_past_retention(
    as_user, resident, supervisor, django_capture_on_commit_callbacks
):
    held = report_with_photo(as_user, resident)
    custody.set_legal_hold(held, supervisor=supervisor, reason="Réquisition 2026/77")
    age(held, 40)

    purge(django_capture_on_commit_callbacks)

    assert Report.objects.filter(pk=held.pk).exists()
    assert len(stored_files()) == 1
    assert not ReportStatistic.objects.exists()

    custody.lift_legal_hold(held, supervisor=supervisor, reason="Case closed")
    purge(django_capture_on_commit_callbacks)
    assert not Report.objects.filter(pk=held.pk).exists()
    assert stored_files() == []


def test_a_centre_keeping_ten_days_purges_at_eleven_and_leaves_other_centres_alone(
    paris, saint_denis, resident, django_capture_on_commit_callbacks
):
    saint_denis.retention_days = 10
    saint_denis.save(update_fields=["retention_days"])
    sd_resident = UserFactory(username="sd", role=Role.RESIDENT, centre=saint_denis)
    sd_old = age(file_report(sd_resident, SAINT_DENIS_BASILICA), 11)
    sd_young = age(file_report(sd_resident, SAINT_DENIS_BASILICA), 9)
    paris_report = age(file_report(resident), 11)

    result = purge(django_capture_on_commit_callbacks)

    assert set(Report.objects.values_list("pk", flat=True)) == {sd_young.pk, paris_report.pk}
    assert not Report.objects.filter(pk=sd_old.pk).exists()
    assert result["centres"]["saint-denis-csu"]["retention_days"] == 10
    assert result["centres"]["saint-denis-csu"]["reports"] == 1
    assert "reports" not in result["centres"]["paris-csu"]
    assert list(ReportStatistic.objects.values_list("centre_id", flat=True)) == [saint_denis.pk]


def test_retention_is_never_more_than_thirty_days_in_the_database(paris):
    from django.db import IntegrityError, transaction

    assert paris.retention_days == 30
    with pytest.raises(IntegrityError), transaction.atomic():
        type(paris).objects.filter(pk=paris.pk).update(retention_days=31)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(paris).objects.filter(pk=paris.pk).update(retention_days=0)


def test_a_purged_report_leaves_exact_anonymous_figures_only(
    as_user, resident, operator, unit, django_capture_on_commit_callbacks
):
    report = file_report(resident, category="fight")
    intervention = handled(report, operator=operator, unit=unit)
    # Received at 23:30 Paris time 31 days ago: the statistic's day is that local day.
    local = (timezone.now() - timedelta(days=31)).astimezone(ZoneInfo("Europe/Paris"))
    received = local.replace(hour=23, minute=30, second=0, microsecond=0)
    Report.objects.filter(pk=report.pk).update(
        created_at=received,
        acknowledged_at=received + timedelta(seconds=42),
        closed_at=received + timedelta(seconds=3600),
    )
    moves = {"dispatched": 95, "acknowledged": 120, "en_route": 130, "on_scene": 610}
    moves["resolved"] = 1800
    for state, seconds in moves.items():
        InterventionEvent.objects.filter(intervention=intervention, to_state=state).update(
            at=received + timedelta(seconds=seconds)
        )

    purge(django_capture_on_commit_callbacks)

    statistic = ReportStatistic.objects.get()
    assert statistic.centre_id == report.centre_id
    assert statistic.day == received.date()
    assert (statistic.category, statistic.source, statistic.priority, statistic.outcome) == (
        "fight",
        "resident",
        "high",
        "handled",
    )
    assert statistic.seconds_to_acknowledged == 42
    assert statistic.seconds_to_dispatched == 95
    assert statistic.seconds_to_on_scene == 610
    assert statistic.seconds_to_resolved == 1800
    assert statistic.seconds_to_closed == 3600
    # Nothing that leads back to a person, a place or a moment.
    assert {f.name for f in ReportStatistic._meta.get_fields()} == {
        "id",
        "centre",
        "day",
        "category",
        "source",
        "priority",
        "outcome",
        "seconds_to_acknowledged",
        "seconds_to_dispatched",
        "seconds_to_on_scene",
        "seconds_to_resolved",
        "seconds_to_closed",
    }


def test_a_report_never_handled_has_no_response_times(resident, django_capture_on_commit_callbacks):
    age(file_report(resident, category="illegal_dumping"), 31)

    purge(django_capture_on_commit_callbacks)

    statistic = ReportStatistic.objects.get()
    assert (statistic.category, statistic.priority, statistic.outcome) == (
        "illegal_dumping",
        "low",
        "",
    )
    assert statistic.seconds_to_acknowledged is None
    assert statistic.seconds_to_closed is None


def test_events_positions_notifications_broadcasts_and_device_refusals_go_too(
    paris, resident, operator, supervisor, unit, django_capture_on_commit_callbacks
):
    from notifications.services import broadcast_to_area

    report = file_report(resident)
    handled(report, operator=operator, unit=unit)
    broadcast = broadcast_to_area(
        centre=paris,
        author=supervisor,
        title="Water cut",
        body="No water this morning.",
        severity="Minor",
        area=paris.jurisdiction,
        expires_at=timezone.now() + timedelta(hours=2),
    )
    RefusedDeviceRequest.objects.create(reason="bad_signature", claimed_device="42")
    IdempotencyRecord.objects.create(
        sender="user:1", key="k", fingerprint="f", status_code=201, body={"reference": "x"}
    )
    assert Event.objects.exists()
    assert Notification.objects.exists()
    assert UnitPosition.objects.exists()
    # Everything so far is old; one fresh event, position and notification are not.
    Event.objects.update(created_at=days_ago(31))
    UnitPosition.objects.update(received_at=days_ago(31))
    Notification.objects.update(created_at=days_ago(31))
    type(broadcast).objects.update(created_at=days_ago(31), expires_at=days_ago(30))
    RefusedDeviceRequest.objects.update(at=days_ago(31))
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    fresh = IdempotencyRecord.objects.create(
        sender="user:1", key="k2", fingerprint="f", status_code=201, body={}
    )
    triage.reclassify_report(report, category=report.category, note="fresh")  # a new event

    result = purge(django_capture_on_commit_callbacks)

    assert list(Event.objects.values_list("type", flat=True)) == ["report.updated"]
    assert not UnitPosition.objects.exists()
    assert not Notification.objects.exists()
    assert not type(broadcast).objects.exists()
    assert not RefusedDeviceRequest.objects.exists()
    assert list(IdempotencyRecord.objects.all()) == [fresh]
    assert Report.objects.filter(pk=report.pk).exists()  # held
    assert result["centres"]["paris-csu"]["broadcasts"] == 1
    assert result["unowned"]["refused_device_requests"] == 1
    assert result["unowned"]["idempotency_records"] == 1


def test_an_incident_left_empty_goes_one_still_holding_a_report_stays(
    resident, other_resident, operator, django_capture_on_commit_callbacks
):
    a, b = file_report(resident), file_report(other_resident)
    c, d = file_report(resident), file_report(other_resident)
    gone = triage.merge_reports(a, into=b, operator=operator)
    kept = triage.merge_reports(c, into=d, operator=operator)
    for report in (a, b, c):
        age(report, 31)

    purge(django_capture_on_commit_callbacks)

    assert list(Incident.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Incident.objects.filter(pk=gone.pk).exists()
    assert list(Report.objects.values_list("pk", flat=True)) == [d.pk]


def test_the_dry_run_deletes_nothing_and_counts_exactly_what_the_purge_then_deletes(
    as_user, resident, operator, unit, camera, django_capture_on_commit_callbacks
):
    old = report_with_photo(as_user, resident)
    link_report(report_id=old.pk, location=old.location, centre_id=old.centre_id)
    handled(old, operator=operator, unit=unit)
    age(old, 31)
    age(file_report(resident), 2)
    Event.objects.update(created_at=days_ago(31))
    Notification.objects.update(created_at=days_ago(31))
    events, notifications = Event.objects.count(), Notification.objects.count()
    before = {
        model: model.objects.count()
        for model in (Report, Attachment, CameraLink, Intervention, InterventionEvent, Event)
    }

    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)

    assert {model: model.objects.count() for model in before} == before
    assert len(stored_files()) == 1
    assert not ReportStatistic.objects.exists()
    lines = out.getvalue().strip().splitlines()
    dry = json.loads(lines[-1])
    assert dry["dry_run"] is True
    expected = {
        "reports": 1,
        "statistics": 1,
        "attachments": 1,
        "files": 1,
        "camera_links": 1,
        "interventions": 1,
        "intervention_events": 5,
        "events": events,
        "notifications": notifications,
    }
    paris = dry["centres"]["paris-csu"]
    assert {kind: paris.get(kind) for kind in expected} == expected
    assert paris["retention_days"] == 30
    assert lines[0].startswith("paris-csu (kept 30 days, before ")
    assert "would delete 1 attachments" in lines[0]

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired", stdout=out)
    done = json.loads(out.getvalue().strip().splitlines()[-1])
    assert done["dry_run"] is False

    def without_cutoffs(centres):
        return {slug: {k: v for k, v in c.items() if k != "cutoff"} for slug, c in centres.items()}

    assert without_cutoffs(done["centres"]) == without_cutoffs(dry["centres"])
    assert done["total"] == dry["total"]
    assert stored_files() == []
    assert Report.objects.count() == 1


def test_running_twice_purges_nothing_the_second_time(
    as_user, resident, operator, unit, django_capture_on_commit_callbacks
):
    report = report_with_photo(as_user, resident)
    handled(report, operator=operator, unit=unit)
    age(report, 31)

    first = purge(django_capture_on_commit_callbacks)
    second = purge(django_capture_on_commit_callbacks)

    assert first["total"]["reports"] == 1
    assert second["total"] == {}
    assert ReportStatistic.objects.count() == 1
    # The purge itself is in the access trail, once, with what it took.
    (trail,) = AccessRecord.objects.filter(action=Action.CHANGE, target_type="retention")
    assert (trail.actor_username, trail.centre_id) == ("retention", report.centre_id)
    assert trail.detail["purged"]["reports"] == 1


def test_the_command_can_purge_one_centre(paris, saint_denis, resident):
    sd_resident = UserFactory(username="sd", role=Role.RESIDENT, centre=saint_denis)
    sd_old = age(file_report(sd_resident, SAINT_DENIS_BASILICA), 31)
    paris_old = age(file_report(resident), 31)

    out = io.StringIO()
    call_command("purge_expired", "--centre", "paris-csu", stdout=out)

    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert list(result["centres"]) == ["paris-csu"]
    assert "unowned" not in result
    assert list(Report.objects.values_list("pk", flat=True)) == [sd_old.pk]
    assert not Report.objects.filter(pk=paris_old.pk).exists()


def test_the_command_refuses_an_unknown_centre(paris):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("purge_expired", "--centre", "atlantis", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["error"]["code"] == "unknown_centre"


def test_the_beat_runs_the_purge(resident, django_capture_on_commit_callbacks):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired"]
    assert entry["task"] == "privacy.tasks.purge_expired"
    assert entry["schedule"] == 3600.0
    old = age(file_report(resident), 31)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scans", "--once")

    assert not Report.objects.filter(pk=old.pk).exists()
    assert ReportStatistic.objects.count() == 1


def test_the_task_says_how_many_rows_went(resident):
    from privacy.tasks import purge_expired

    age(file_report(resident), 31)
    assert purge_expired.delay().get() >= 1
    assert purge_expired.delay().get() == 0


def test_with_nothing_past_retention_both_runs_say_nothing(resident):
    age(file_report(resident), 3)

    dry = retention.purge_expired(dry_run=True)
    done = retention.purge_expired()

    assert dry["total"] == done["total"] == {}
    assert set(done["centres"]["paris-csu"]) == {"cutoff", "retention_days"}
    assert set(dry["centres"]["paris-csu"]) == {"cutoff", "retention_days"}
    assert not AccessRecord.objects.filter(target_type="retention").exists()
    assert Report.objects.count() == 1
