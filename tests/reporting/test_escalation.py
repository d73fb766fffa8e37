"""A critical report not acknowledged in time is raised to the supervisors, once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from live.models import Event
from reporting.models import Report
from reporting.services import triage
from reporting.services.escalation import escalate_overdue
from tests.factories import file_report


def aged(report, seconds):
    Report.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )
    return report


def escalations():
    return list(Event.objects.filter(type="escalation").order_by("seq"))


def test_an_overdue_critical_report_is_raised_once(resident, settings):
    settings.VIGIE_ESCALATION_DELAY_S = 60
    report = aged(file_report(resident, category="person_in_distress"), 61)

    assert escalate_overdue() == [report.pk]
    assert escalate_overdue() == []

    (event,) = escalations()
    assert event.data["report"]["reference"] == report.reference
    assert event.data["audience"] == "supervisors"
    assert event.data["waited_s"] >= 61
    report.refresh_from_db()
    assert report.escalated_at is not None


@pytest.mark.parametrize(
    ("category", "age_s", "acknowledged"),
    [
        ("person_in_distress", 30, False),  # not yet overdue
        ("illegal_dumping", 600, False),  # not critical
        ("person_in_distress", 600, True),  # someone has it
    ],
)
def test_others_are_left_alone(resident, operator, category, age_s, acknowledged):
    report = aged(file_report(resident, category=category), age_s)
    if acknowledged:
        triage.acknowledge_report(report, operator=operator)
    assert escalate_overdue() == []
    assert escalations() == []


def test_the_delay_is_a_setting(resident, settings):
    settings.VIGIE_ESCALATION_DELAY_S = 300
    aged(file_report(resident, category="fire"), 120)
    assert escalate_overdue() == []


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_scans_raise_each_report_once(resident):
    reports = [aged(file_report(resident, category="fire"), 120) for _ in range(5)]
    barrier = threading.Barrier(2)
    raised = []

    def scan():
        try:
            barrier.wait()
            raised.extend(escalate_overdue())
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(raised) == sorted(r.pk for r in reports)
    assert len(escalations()) == 5


def test_the_beat_runs_the_scan_every_few_seconds(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["escalate-overdue-reports"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 30  # a 60 s promise needs a scan well within it


def test_run_scans_once_raises_what_is_overdue(resident):
    from django.core.management import call_command

    report = aged(file_report(resident, category="fire"), 120)
    call_command("run_scans", "--once")
    assert [e.data["report"]["id"] for e in escalations()] == [report.pk]
