"""Calling off an alert with the PIN, the duress PIN that only seems to, and what the sender sees.

A false alarm is cancelled with the cancel PIN within VIGIE_ALERT_CANCEL_WINDOW_S, by the
signed device itself or by the business's app. The duress PIN gets exactly the answer of a
cancel, while the operators see a duress alarm and the sender's own views go quiet.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from alerts import services
from alerts.models import Alert, Device
from live.models import Event
from reporting.models import Report
from reporting.services.triage import acknowledge_report, close_report, transition_report
from tests.factories import BUTTON_PIN, DURESS_PIN, UserFactory, post_signed

pytestmark = pytest.mark.django_db

CANCEL = "/api/v1/alerts/cancel/"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # PINs and passwords are hashed in every fixture; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alert(button):
    """A panic press of the bakery's button, just received."""
    return services.trigger_alert(button, kind="panic", channel="http")


@pytest.fixture
def other_business(paris):
    return UserFactory(username="fleuriste", role="business", centre=paris)


@pytest.fixture
def cancel_from(api, as_user, business, button):
    """Send a cancel the way the test names it: from the signed device, or the business app."""

    def cancel(way: str, report_id: int, pin: str):
        body = {"report": report_id, "pin": pin}
        if way == "device":
            return post_signed(api, CANCEL, button, body)
        return as_user(business).post(CANCEL, body, format="json")

    return cancel


def events_since(seq: int) -> list[Event]:
    return list(Event.objects.filter(seq__gt=seq).order_by("seq"))


def last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def opened_ago(alert: Alert, seconds: float) -> None:
    """Time travel: the alert was raised `seconds` ago."""
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


# --- cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["device", "app"])
def test_the_sender_cancels_a_false_alarm_with_the_pin(cancel_from, alert, paris, way):
    seq = last_seq()

    response = cancel_from(way, alert.report_id, BUTTON_PIN)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert response.json()["report"] == alert.report_id
    report = Report.objects.get(pk=alert.report_id)
    assert (report.status, report.outcome, report.closed_by) == ("closed", "false_alarm", None)
    assert report.closing_note == "Cancelled by the sender with their PIN."
    alert.refresh_from_db()
    assert alert.cancelled_at is not None
    assert alert.duress_at is None
    (updated,) = events_since(seq)
    assert (updated.centre, updated.type) == (paris, "report.updated")
    assert (updated.data["id"], updated.data["status"], updated.data["outcome"]) == (
        alert.report_id,
        "closed",
        "false_alarm",
    )


def test_a_second_tap_on_cancel_gets_the_same_answer_and_changes_nothing(cancel_from, alert):
    first = cancel_from("app", alert.report_id, BUTTON_PIN)
    seq = last_seq()

    again = cancel_from("app", alert.report_id, BUTTON_PIN)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert events_since(seq) == []


@pytest.mark.parametrize("way", ["device", "app"])
def test_a_wrong_pin_is_refused_and_counted(cancel_from, alert, way):
    seq = last_seq()

    response = cancel_from(way, alert.report_id, "0000")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_pin"
    alert.refresh_from_db()
    assert alert.failed_pin_attempts == 1
    assert alert.cancelled_at is None
    assert Report.objects.get(pk=alert.report_id).status == "new"
    assert events_since(seq) == []


def test_after_too_many_wrong_pins_even_the_right_one_is_locked_out(cancel_from, alert, settings):
    settings.VIGIE_ALERT_PIN_ATTEMPTS = 3
    wrong = [cancel_from("app", alert.report_id, pin) for pin in ("1111", "2222", "3333")]

    locked = cancel_from("app", alert.report_id, BUTTON_PIN)

    assert [r.json()["error"]["code"] for r in wrong] == ["wrong_pin"] * 3
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "pin_locked"
    alert.refresh_from_db()
    assert (alert.failed_pin_attempts, alert.cancelled_at) == (3, None)
    assert Report.objects.get(pk=alert.report_id).status == "new"


@pytest.mark.parametrize(("age_s", "status"), [(110, 200), (125, 409)])
def test_an_alert_can_be_cancelled_only_within_the_window(
    cancel_from, alert, settings, age_s, status
):
    settings.VIGIE_ALERT_CANCEL_WINDOW_S = 120
    opened_ago(alert, age_s)

    response = cancel_from("device", alert.report_id, BUTTON_PIN)

    assert response.status_code == status, response.content
    report = Report.objects.get(pk=alert.report_id)
    if status == 409:
        assert response.json()["error"]["code"] == "cancel_window_closed"
        assert report.status == "new"
        assert Alert.objects.get(pk=alert.pk).cancelled_at is None
    else:
        assert report.status == "closed"


def test_a_button_without_pins_cannot_cancel(api, call_point):
    alert = services.trigger_alert(call_point, kind="call", channel="http")

    response = post_signed(api, CANCEL, call_point, {"report": alert.report_id, "pin": "1234"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_pin_set"
    assert Report.objects.get(pk=alert.report_id).status == "new"


@pytest.mark.parametrize(
    "body",
    [{"report": 1}, {"pin": BUTTON_PIN}, {"report": "first", "pin": BUTTON_PIN}, {"report": 0}],
)
def test_a_malformed_cancel_is_a_400(as_user, business, alert, body):
    response = as_user(business).post(CANCEL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Report.objects.get(pk=alert.report_id).status == "new"


# --- the duress PIN ----------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["device", "app"])
def test_the_duress_pin_answers_like_a_cancel_but_raises_a_duress_alarm(
    cancel_from, button, paris, way
):
    genuine = services.trigger_alert(button, kind="panic", channel="http")
    forced = services.trigger_alert(button, kind="panic", channel="http")
    cancelled = cancel_from(way, genuine.report_id, BUTTON_PIN)
    seq = last_seq()

    response = cancel_from(way, forced.report_id, DURESS_PIN)

    varying = {"report", "reference", "created_at", "cancel_until"}
    assert response.status_code == cancelled.status_code == 200
    assert response.json().keys() == cancelled.json().keys()
    assert {k: v for k, v in response.json().items() if k not in varying} == {
        k: v for k, v in cancelled.json().items() if k not in varying
    }
    assert response.json()["state"] == "cancelled"
    report = Report.objects.get(pk=forced.report_id)
    assert (report.status, report.category.code, report.priority, report.author) == (
        "new",
        "duress_alarm",
        "critical",
        None,
    )
    assert report.description.startswith("DURESS")
    forced.refresh_from_db()
    assert forced.duress_at is not None
    assert forced.cancelled_at is None
    updated, escalation = events_since(seq)
    assert (updated.type, updated.data["id"], updated.data["category"]) == (
        "report.updated",
        report.pk,
        "duress_alarm",
    )
    assert escalation.centre == paris
    assert escalation.type == "escalation"
    assert (escalation.data["kind"], escalation.data["device"]) == ("duress", button.pk)
    assert escalation.data["audience"] == "operators"
    assert "duress PIN" in escalation.data["reason"]
    assert (escalation.data["report"]["id"], escalation.data["report"]["category"]) == (
        report.pk,
        "duress_alarm",
    )


@pytest.mark.parametrize("late", ["window_closed", "locked_out"])
def test_the_duress_pin_raises_the_alarm_even_when_a_cancel_would_be_refused(
    cancel_from, alert, settings, late
):
    if late == "window_closed":
        opened_ago(alert, settings.VIGIE_ALERT_CANCEL_WINDOW_S + 30)
    else:
        Alert.objects.filter(pk=alert.pk).update(
            failed_pin_attempts=settings.VIGIE_ALERT_PIN_ATTEMPTS
        )
    refused = cancel_from("device", alert.report_id, BUTTON_PIN)
    seq = last_seq()

    forced = cancel_from("device", alert.report_id, DURESS_PIN)

    # Whoever watches sees the very refusal the cancel PIN got...
    assert forced.status_code == refused.status_code == 409
    assert forced.json() == refused.json()
    # ...while the centre sees the duress.
    assert [e.type for e in events_since(seq)] == ["report.updated", "escalation"]
    report = Report.objects.get(pk=alert.report_id)
    assert (report.status, report.category.code) == ("new", "duress_alarm")


def test_after_duress_the_senders_views_show_it_as_cancelled_or_not_at_all(
    as_user, business, cancel_from, alert
):
    cancel_from("app", alert.report_id, DURESS_PIN)
    client = as_user(business)

    reports = client.get("/api/v1/reports/").json()["results"]
    detail = client.get(f"/api/v1/reports/{alert.report_id}/")
    status = client.get(f"/api/v1/alerts/{alert.report_id}/")

    assert alert.report_id not in [r["id"] for r in reports]
    assert detail.status_code == 404
    assert status.status_code == 200
    assert status.json()["state"] == "cancelled"


def test_after_duress_a_later_cancel_does_not_close_the_duress_alarm(cancel_from, alert):
    cancel_from("device", alert.report_id, DURESS_PIN)
    seq = last_seq()

    again = cancel_from("app", alert.report_id, BUTTON_PIN)

    assert again.json()["state"] == "cancelled"
    report = Report.objects.get(pk=alert.report_id)
    assert (report.status, report.category.code) == ("new", "duress_alarm")
    assert events_since(seq) == []


# --- whose alert ----------------------------------------------------------------------------


def test_someone_elses_alert_cannot_be_cancelled_and_is_not_revealed(
    api, as_user, other_business, call_point, alert
):
    body = {"report": alert.report_id, "pin": BUTTON_PIN}
    missing = {"report": alert.report_id + 1000, "pin": BUTTON_PIN}

    by_other_business = as_user(other_business).post(CANCEL, body, format="json")
    by_other_device = post_signed(api, CANCEL, call_point, body)
    for_no_alert = as_user(other_business).post(CANCEL, missing, format="json")

    assert by_other_business.status_code == by_other_device.status_code == 404
    assert by_other_business.json() == by_other_device.json() == for_no_alert.json()
    assert by_other_business.json()["error"]["code"] == "not_found"
    alert.refresh_from_db()
    assert (alert.cancelled_at, alert.failed_pin_attempts) == (None, 0)
    assert Report.objects.get(pk=alert.report_id).status == "new"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("resident", 403, "business_only"),
        ("operator", 403, "members_only"),
        ("nobody", 401, "not_authenticated"),
    ],
)
def test_only_the_sender_may_cancel(request, api, as_user, alert, who, status, code):
    client = api if who == "nobody" else as_user(request.getfixturevalue(who))

    response = client.post(CANCEL, {"report": alert.report_id, "pin": BUTTON_PIN}, format="json")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert Report.objects.get(pk=alert.report_id).status == "new"


def test_a_cancel_signed_badly_is_refused_and_audited(api, button, alert):
    response = post_signed(
        api,
        CANCEL,
        button,
        {"report": alert.report_id, "pin": BUTTON_PIN},
        **{"X-Signature": "f" * 64},
    )

    assert response.status_code == 401
    assert Report.objects.get(pk=alert.report_id).status == "new"
    assert button.refusals.get().reason == "bad_signature"


def test_a_business_cancels_its_app_press_with_the_pins_it_chose(as_user, business):
    client = as_user(business)
    pins = client.post(
        "/api/v1/alerts/pins/",
        {"password": "correct-horse-battery", "cancel_pin": "8642", "duress_pin": "9753"},
        format="json",
    )
    pressed = client.post("/api/v1/alerts/press/", {}, format="json")

    wrong = client.post(
        CANCEL, {"report": pressed.json()["report"], "pin": BUTTON_PIN}, format="json"
    )
    right = client.post(CANCEL, {"report": pressed.json()["report"], "pin": "8642"}, format="json")

    assert pins.status_code == 204
    assert wrong.json()["error"]["code"] == "wrong_pin"
    assert right.json()["state"] == "cancelled"
    device = Device.objects.get(owner=business, in_app=True)
    assert check_password("8642", device.cancel_pin)
    assert Report.objects.get(pk=pressed.json()["report"]).outcome == "false_alarm"


# --- what the sender's screen says ---------------------------------------------------------------


def test_the_sender_sees_where_its_alert_stands(as_user, business, operator, alert):
    client = as_user(business)
    url = f"/api/v1/alerts/{alert.report_id}/"
    report = alert.report

    states = [client.get(url).json()["state"]]
    acknowledge_report(report, operator=operator)
    states.append(client.get(url).json()["state"])
    transition_report(report, to="dispatched")
    states.append(client.get(url).json()["state"])
    transition_report(report, to="resolved")
    states.append(client.get(url).json()["state"])
    close_report(report, operator=operator, outcome="handled")
    states.append(client.get(url).json()["state"])

    assert states == ["received", "seen", "help_coming", "resolved", "resolved"]
    body = client.get(url).json()
    assert body.keys() == {"report", "reference", "kind", "state", "created_at", "cancel_until"}
    assert (body["report"], body["reference"], body["kind"]) == (
        report.pk,
        report.reference,
        "panic",
    )


def test_a_cancelled_alert_reads_cancelled_and_the_list_shows_the_senders_alerts(
    as_user, business, button, cancel_from, alert
):
    newer = services.trigger_alert(button, kind="medical", channel="http")
    cancel_from("app", alert.report_id, BUTTON_PIN)
    client = as_user(business)

    single = client.get(f"/api/v1/alerts/{alert.report_id}/").json()
    listed = client.get("/api/v1/alerts/").json()

    assert single["state"] == "cancelled"
    assert [(a["report"], a["state"]) for a in listed] == [
        (newer.report_id, "received"),
        (alert.report_id, "cancelled"),
    ]


def test_nobody_else_reads_the_state_of_an_alert(as_user, other_business, resident, alert):
    url = f"/api/v1/alerts/{alert.report_id}/"

    other = as_user(other_business).get(url)
    public = as_user(resident).get(url)

    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    assert as_user(other_business).get("/api/v1/alerts/").json() == []
    assert public.status_code == 403
