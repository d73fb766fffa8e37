"""Dispatch from the operator console, in a desk-sized Chromium against a real daphne on Redis.

The operator sends the suggested unit to a report, follows the intervention live as the crew
moves it on from their app, sees the unit on the map, and cancels; or reassigns it, after the
server refused a unit that had just been taken.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from dispatch.models import Intervention, State, Unit, UnitStatus
from reporting.models import Report, Status
from tests.e2e.test_console import Daphne, desk, http, in_a_thread
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    CentreFactory,
    UserFactory,
    file_report,
    moved,
    otp_for,
    point_json,
)

pytestmark = [pytest.mark.e2e]

SCREENSHOT = "console-dispatch.png"


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch, tmp_path):
    monkeypatch.setenv("VIGIE_MEDIA_ROOT", str(tmp_path / "media"))


# Rows are built here, before the browser opens (tests/e2e/conftest.py, `page`). `paris` is
# made after the server has started, so that `police_officer` and `unit` (tests/conftest.py)
# are built on this one.
@pytest.fixture
def server(transactional_db):
    daphne = Daphne()
    daphne.start()
    yield daphne
    daphne.stop()


@pytest.fixture
def paris(server):
    return CentreFactory()


@pytest.fixture
def operator(paris):
    return UserFactory(username="dominique", role=Role.OPERATOR, centre=paris)


@pytest.fixture
def resident(paris):
    return UserFactory(username="camille", role=Role.RESIDENT, centre=paris)


@pytest.fixture
def fight(resident):
    return file_report(
        resident, PARIS_HOTEL_DE_VILLE, "fight", description="Rixe devant la mairie."
    )


@pytest.fixture
def second_unit(paris):
    """PS-22, further away than PS-21 (tests/conftest.py `unit`, 300 m off)."""
    from dispatch.services import create_unit, record_position

    officer = UserFactory(username="police2", role=Role.POLICE, centre=paris)
    car = create_unit(centre=paris, callsign="PS-22", members=[officer])
    record_position(
        car,
        location=moved(PARIS_HOTEL_DE_VILLE, 800, 200),
        recorded_at=timezone.now(),
        accuracy_m=10,
        by=officer,
    )
    return car


def token_of(server: str, username: str) -> str:
    body = {"username": username, "password": PASSWORD, "otp": otp_for(username)}
    return http("POST", f"{server}/api/v1/auth/token/", body)["token"]


def test_an_operator_sends_a_unit_follows_it_live_and_cancels(
    server, operator, police_officer, unit, fight, tmp_path
):
    intervention_selector = "#interventions li[data-callsign='PS-21']"
    with desk() as console:
        page = console.page
        console.sign_in(server.url)

        # The unit is on the map from the snapshot, and said in the units list.
        page.wait_for_selector("#map[data-units='1']", state="attached")
        listed = page.locator("#units li[data-callsign='PS-21']")
        assert listed.get_attribute("data-status") == "available"
        assert float(listed.get_attribute("data-lat")) == pytest.approx(unit.last_location.y)

        console.row(fight.reference).click()
        suggested = page.locator("#suggested-units li[data-callsign='PS-21']")
        suggested.wait_for()
        text = suggested.text_content()
        assert "Voiture" in text
        assert re.search(r"à (29\d|30\d) m", text), text
        assert "position il y a" in text
        assert "L'envoi d'un équipage" in page.text_content("#dispatch-intro")

        suggested.locator("button", has_text="Envoyer").click()
        page.wait_for_selector(f"{intervention_selector}[data-state=dispatched]")
        page.wait_for_selector("#dispatch-message:has-text('PS-21 envoyée')")
        timeline = page.text_content(f"{intervention_selector} .timeline")
        assert "Envoyée" in timeline
        assert "par dominique" in timeline
        assert page.is_hidden("#dispatch-intro")
        # The report follows (report.updated) and the unit is busy (unit.updated), on the
        # map's list too; the unit is no longer suggested.
        page.wait_for_selector(
            f"#feed button[data-reference='{fight.reference}'][data-status=dispatched]"
        )
        page.wait_for_selector(
            "#units li[data-callsign='PS-21'][data-status=busy]", state="attached"
        )
        page.wait_for_selector("#suggested-units li.hint:has-text('Aucune unité disponible')")

        # The crew moves it on from their app, another client: the console shows it at once.
        token = token_of(server.url, "police")
        [intervention] = http("GET", f"{server.url}/api/v1/interventions/?active=true", token=token)
        path = f"{server.url}/api/v1/interventions/{intervention['id']}/transition/"
        http("POST", path, {"to": "acknowledged"}, token)
        http("POST", path, {"to": "en_route", "note": "Départ du poste."}, token)
        moved_at = time.monotonic()
        page.wait_for_selector(f"{intervention_selector}[data-state=en_route]", timeout=5000)
        assert time.monotonic() - moved_at < 5
        timeline = page.text_content(f"{intervention_selector} .timeline")
        assert "Reçue par l'équipage → En route" in timeline
        assert "par police" in timeline
        assert "Départ du poste." in timeline

        # On the way, a new fix; the beat's batch (run here) moves the unit on the map.
        nearer = moved(PARIS_HOTEL_DE_VILLE, 120, 45)
        http(
            "POST",
            f"{server.url}/api/v1/units/{unit.id}/position/",
            {
                "location": point_json(nearer),
                "recorded_at": timezone.now().isoformat(),
                "accuracy_m": 6,
            },
            token,
        )

        def beat() -> None:
            from dispatch.services import publish_unit_positions

            publish_unit_positions()

        in_a_thread(beat)
        page.wait_for_function(
            "lat => Math.abs(Number(document.querySelector("
            "\"#units li[data-callsign='PS-21']\").dataset.lat) - lat) < 1e-6",
            arg=nearer.y,
            timeout=5000,
        )

        # The screenshot for a person to look at: the intervention under way.
        page.locator("#units-panel summary").click()
        page.locator("#dispatch").scroll_into_view_if_needed()
        page.wait_for_timeout(400)
        shot = tmp_path / SCREENSHOT
        page.screenshot(path=str(shot))
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        shutil.copy(shot, settings.BASE_DIR / "var" / SCREENSHOT)

        # Cancelled from the console: the unit is free and suggested again.
        page.click(f"{intervention_selector} [data-action=cancel]")
        page.fill(f"{intervention_selector} textarea", "Rixe terminée avant l'arrivée.")
        page.click(f"{intervention_selector} [data-confirm=cancel]")
        page.wait_for_selector(f"{intervention_selector}[data-state=cancelled]")
        page.wait_for_selector("#dispatch-message:has-text('annulée')")
        assert page.is_hidden(f"{intervention_selector} .intervention-actions")
        page.wait_for_selector(
            "#units li[data-callsign='PS-21'][data-status=available]", state="attached"
        )
        page.wait_for_selector("#suggested-units li[data-callsign='PS-21']")
        page.wait_for_selector(
            f"#feed button[data-reference='{fight.reference}'][data-status=acknowledged]"
        )
        assert "Rixe terminée" in page.text_content(f"{intervention_selector} .timeline")
        hosts, problems = console.hosts, console.csp_violations + console.errors

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    done = Intervention.objects.get(pk=intervention["id"])
    assert done.state == State.CANCELLED
    assert done.unit == unit
    assert done.created_by == operator
    moves = list(done.events.order_by("at", "pk").values_list("to_state", "by__username", "note"))
    assert moves == [
        ("dispatched", "dominique", ""),
        ("acknowledged", "police", ""),
        ("en_route", "police", "Départ du poste."),
        ("cancelled", "dominique", "Rixe terminée avant l'arrivée."),
    ]
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE
    assert unit.last_location.y == pytest.approx(nearer.y)
    assert Report.objects.get(pk=fight.pk).status == Status.ACKNOWLEDGED


def test_a_refused_reassignment_is_said_then_the_reassignment_goes_through(
    server, operator, police_officer, unit, second_unit, fight, resident
):
    elsewhere = file_report(resident, moved(PARIS_HOTEL_DE_VILLE, 900, 270), "theft")
    taken = {}

    def take_second_unit() -> None:
        from dispatch.services import dispatch_unit

        taken["intervention"] = dispatch_unit(elsewhere, unit=second_unit, operator=operator)

    def free_second_unit() -> None:
        from dispatch.services import transition_intervention

        transition_intervention(taken["intervention"], to=State.CANCELLED, by=operator)

    item = "#interventions li.intervention"
    with desk(locale="en-GB") as console:
        page = console.page
        console.sign_in(server.url)
        page.wait_for_selector("#map[data-units='2']", state="attached")
        console.row(fight.reference).click()
        page.wait_for_selector("#suggested-units li[data-callsign='PS-22']")
        order = page.eval_on_selector_all(
            "#suggested-units li", "items => items.map(item => item.dataset.callsign)"
        )
        assert order == ["PS-21", "PS-22"]  # nearest first
        page.click(f"#suggested-units button[data-send-unit='{unit.id}']")
        page.wait_for_selector(f"{item}[data-callsign='PS-21'][data-state=dispatched]")

        page.click(f"{item} [data-action=reassign]")
        page.wait_for_selector(f"{item} select option[value='{second_unit.id}']", state="attached")
        # Meanwhile another operator sends PS-22 elsewhere: the server refuses, in words.
        in_a_thread(take_second_unit)
        page.wait_for_selector(
            "#units li[data-callsign='PS-22'][data-status=busy]", state="attached"
        )
        page.click(f"{item} [data-confirm=reassign]")
        page.wait_for_selector(
            "#dispatch-message[data-kind=error]:has-text('already on an intervention')"
        )
        assert page.get_attribute(item, "data-callsign") == "PS-21"

        in_a_thread(free_second_unit)
        page.wait_for_selector(
            "#units li[data-callsign='PS-22'][data-status=available]", state="attached"
        )
        page.click(f"{item} [data-confirm=reassign]")
        page.wait_for_selector(f"{item}[data-callsign='PS-22'][data-state=dispatched]")
        page.wait_for_selector("#dispatch-message:has-text('reassigned to PS-22')")
        timeline = page.text_content(f"{item} .timeline")
        assert "Reassigned from PS-21 to PS-22." in timeline
        assert "(PS-21)" in timeline  # the first move was PS-21's
        page.wait_for_selector(
            "#units li[data-callsign='PS-21'][data-status=available]", state="attached"
        )
        # The refused request is the browser's own complaint, which the page answered.
        problems = console.csp_violations + [e for e in console.errors if "409" not in e]

    assert problems == []
    reassigned = Intervention.objects.get(report=fight)
    assert reassigned.unit == second_unit
    assert reassigned.state == State.DISPATCHED
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE
    assert Unit.objects.get(pk=second_unit.pk).status == UnitStatus.BUSY
    assert Intervention.objects.get(pk=taken["intervention"].pk).state == State.CANCELLED
