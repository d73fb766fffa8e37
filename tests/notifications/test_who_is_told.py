"""Who is pushed what: authors, shops, crews and supervisors, each in their own words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.services import cancel_alert, trigger_alert
from dispatch.services import dispatch_unit
from notifications.models import Notification
from reporting.models import Report
from reporting.services.escalation import escalate_overdue
from reporting.services.triage import acknowledge_report, close_report
from tests.factories import BUTTON_PIN, UserFactory, file_report

pytestmark = pytest.mark.django_db


def told(user) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", "title")
    )


def test_the_crew_is_pushed_its_dispatch_with_high_priority(
    resident, operator, police_officer, unit
):
    report = file_report(resident, category="fight")

    intervention = dispatch_unit(report, unit=unit, operator=operator)

    push = Notification.objects.get(recipient=police_officer)
    assert (push.kind, push.high_priority) == ("dispatch", True)
    assert push.title == "Nouvelle intervention — PS-21"
    assert push.data["intervention"] == str(intervention.pk)
    # The author hears that help is on the way: acknowledged, then dispatched.
    assert [kind for kind, _ in told(resident)] == ["report_status", "report_status"]
    assert told(resident)[-1][1] == "Intervention en cours"


def test_a_shop_hears_its_alert_was_seen_then_that_help_is_coming(button, business, operator, unit):
    alert = trigger_alert(button, kind="panic", channel="http")
    report = Report.objects.get(pk=alert.report_id)

    acknowledge_report(report, operator=operator)
    dispatch_unit(report, unit=unit, operator=operator)

    assert told(business) == [
        ("help_coming", "Alerte vue par le centre"),
        ("help_coming", "Les secours arrivent"),
    ]
    assert Notification.objects.filter(recipient=business).first().high_priority


def test_the_sender_who_cancels_is_not_told_of_their_own_cancel(button, business):
    alert = trigger_alert(button, kind="panic", channel="http")

    cancel_alert(alert, pin=BUTTON_PIN)

    assert told(business) == []


def test_closing_tells_the_author_but_not_anyone_else(resident, other_resident, operator):
    report = file_report(resident, category="theft")

    close_report(report, operator=operator, outcome="handled")

    assert told(resident) == [("report_status", "Signalement clos")]
    assert told(other_resident) == []


def test_an_escalation_is_pushed_to_the_centres_supervisors_once(
    resident, supervisor, paris, saint_denis
):
    elsewhere = UserFactory(username="sup-std", role="supervisor", centre=saint_denis)
    report = file_report(resident, category="fire")
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    escalate_overdue()
    escalate_overdue()

    assert told(supervisor) == [("escalation", f"Escalade : {report.reference}")]
    assert Notification.objects.get(recipient=supervisor).high_priority
    assert told(elsewhere) == []
