"""The operator console in a desk-sized Chromium, against a real daphne on real Redis.

A resident's report made through the API from another client reaches the open console within
two seconds; the operator acknowledges it from the page; a dropped connection comes back by
itself and shows what happened while it was away.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Role
from cameras.models import PtzCommand
from reporting.models import Report, Status
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    CentreFactory,
    UserFactory,
    camera_at,
    database_url_for_servers,
    file_report,
    moved,
    otp_for,
    point_json,
)

pytestmark = [pytest.mark.e2e]

DESK = {"width": 1440, "height": 900}
SCREENSHOT = "console.png"


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch, tmp_path):
    monkeypatch.setenv("VIGIE_MEDIA_ROOT", str(tmp_path / "media"))


class Daphne:
    """`make run`'s server in its own process on the test database, which a test may stop and
    start again on the same port (tests/e2e/conftest.py's `daphne_server`, restartable)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_servers(),
            "DJANGO_DEBUG": "1",
            "VIGIE_MAP_TILES_URL": f"{self.url}/no-tiles/{{z}}/{{x}}/{{y}}.png",
        }
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*command, "config.asgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2)  # noqa: S310
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError(self.process.stdout.read().decode()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


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
def waiting_reports(resident):
    """Reports already open when the console opens: a critical one and a low one."""
    fire = file_report(resident, moved(PARIS_HOTEL_DE_VILLE, 300, 90), category="fire")
    dumping = file_report(resident, moved(PARIS_HOTEL_DE_VILLE, 500, 180), "illegal_dumping")
    return fire, dumping


@pytest.fixture
def ptz_camera(paris):
    return camera_at(
        paris,
        moved(PARIS_HOTEL_DE_VILLE, 60, 45),
        "PP-0042",
        name="Hôtel de Ville Nord",
        kind="ptz",
        height_m=6.0,
        range_m=200.0,
        pan_zero_deg=0.0,
        pan_min_deg=-180.0,
        pan_max_deg=180.0,
        tilt_min_deg=-90.0,
        tilt_max_deg=10.0,
        zoom_max=30.0,
        # Another host: the console links to it rather than loading it under its CSP.
        snapshot_url="http://cams.example.invalid/snap/{external_id}.jpg",
        stream_url="http://vms.example.invalid/live/{external_id}",
    )


def http(method: str, url: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(url, method=method)  # noqa: S310 - our own server
    request.add_header("Accept", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, data, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def resident_token(server: str) -> str:
    body = {"username": "camille", "password": PASSWORD}
    return http("POST", f"{server}/api/v1/auth/token/", body)["token"]


class Desk:
    """A console page and what it did: hosts it reached, sockets it opened, CSP refusals,
    console errors, script errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        self.sockets: list[str] = []
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlparse(request.url).hostname or ""))
        page.on("websocket", self._on_socket)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_socket(self, socket) -> None:
        self.sockets.append(socket.url)
        self.hosts.add(urlparse(socket.url).hostname or "")

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)
        elif message.type == "error":
            where = message.location.get("url", "")
            if "/no-tiles/" not in where:  # no tile server in the tests, on purpose
                self.errors.append(f"{message.text} ({where})")

    def sign_in(self, server: str, username: str = "dominique") -> None:
        self.page.goto(f"{server}/console/")
        self.page.wait_for_selector("#signin-view:not([hidden])")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.fill("#otp", otp_for(username))  # staff give their authenticator's code
        self.page.click("#signin-form button[type=submit]")
        self.page.wait_for_selector("#connection[data-state=connected]")
        self.page.wait_for_selector("#feed[data-ready=true]", state="attached")

    def row(self, reference: str):
        return self.page.locator(f"#feed button[data-reference='{reference}']")


@contextlib.contextmanager
def desk(*, locale: str = "fr-FR") -> Iterator[Desk]:
    """Chromium on a desk. The ORM may be used in this thread again once this block has closed
    (Playwright's sync API runs an event loop in it while it is open)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESK, locale=locale)
        try:
            yield Desk(context.new_page())
        finally:
            context.close()
            browser.close()


def in_a_thread(work) -> None:  # noqa: ANN001
    """Run ORM work while the browser is open: in a thread of its own, with its own
    connection, closed afterwards so that the test database can be dropped."""
    failures = []

    def run() -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - reported in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if failures:
        raise failures[0]


def test_a_report_reaches_the_console_live_and_is_acknowledged_there(
    server, operator, resident, waiting_reports, ptz_camera, tmp_path
):
    fire, dumping = waiting_reports
    with desk() as console:
        page = console.page
        console.sign_in(server.url)
        assert page.text_content("#connection") == "En direct"
        assert page.locator("#feed li").count() == 2
        # The critical report nobody has acknowledged flashes, and the alarm can be heard (the
        # sign-in click unlocked sound).
        assert "flash" in console.row(fire.reference).get_attribute("class")
        page.wait_for_selector("#sound[data-state=on][data-alarm=ringing]")

        token = resident_token(server.url)
        report = http(
            "POST",
            f"{server.url}/api/v1/reports/",
            {
                "category": "fight",
                "description": "Une dizaine de personnes se battent devant la mairie.",
                "location": point_json(PARIS_HOTEL_DE_VILLE),
                "accuracy_m": 8,
            },
            token,
        )
        posted = time.monotonic()
        row = console.row(report["reference"])
        row.wait_for(timeout=2000)
        arrived_after = time.monotonic() - posted
        assert arrived_after < 2

        # Priority first (critical, high, low), then the longest waiting.
        references = page.eval_on_selector_all(
            "#feed button", "rows => rows.map(row => row.dataset.reference)"
        )
        assert references == [fire.reference, report["reference"], dumping.reference]
        text = row.text_content()
        for expected in ("Rixe, regroupement de bandes", "Habitant", "Nouveau", "CSU de Paris"):
            assert expected in text
        assert page.get_attribute("#map", "data-reports") == "3"

        row.click()
        page.wait_for_selector(f"#detail-title:text-is('{report['reference']}')")
        assert "Une dizaine de personnes" in page.text_content("#detail-description")
        page.wait_for_selector("#detail-cameras li[data-camera-id]")
        assert "Hôtel de Ville Nord" in page.text_content("#detail-cameras")
        assert page.locator("#detail-cameras a", has_text="Flux vidéo").count() == 1
        assert "L'envoi d'un équipage" in page.text_content(".placeholder")

        page.click("#detail-cameras button[data-camera-id]")
        page.wait_for_selector("#detail-message:has-text('orientée')")

        page.click("#acknowledge")
        page.wait_for_selector(
            f"#feed button[data-reference='{report['reference']}'][data-status=acknowledged]"
        )
        assert "Pris en compte" in row.locator(".status").text_content()
        assert page.is_hidden("#acknowledge")
        assert "dominique" in page.text_content("#detail-facts")

        # The screenshot for a person to look at.
        page.wait_for_timeout(400)
        shot = tmp_path / SCREENSHOT
        page.screenshot(path=str(shot))
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        shutil.copy(shot, settings.BASE_DIR / "var" / SCREENSHOT)

        seen_by_author = http("GET", f"{server.url}/api/v1/reports/{report['id']}/", token=token)
        hosts, problems = console.hosts, console.csp_violations + console.errors

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    assert seen_by_author["status"] == "acknowledged"
    assert seen_by_author["acknowledged_by"] == "dominique"
    acknowledged = Report.objects.get(pk=report["id"])
    assert acknowledged.status == Status.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == operator
    assert PtzCommand.objects.filter(camera=ptz_camera, status="sent").count() == 1


def test_a_dropped_connection_comes_back_and_shows_what_happened_meanwhile(
    server, operator, resident, waiting_reports
):
    fire, dumping = waiting_reports
    made = {}

    def while_away() -> None:
        from reporting.services import triage

        made["new"] = file_report(resident, moved(PARIS_HOTEL_DE_VILLE, 80, 200), "assault")
        triage.acknowledge_report(Report.objects.get(pk=fire.pk), operator=operator)

    with desk(locale="en-GB") as console:
        page = console.page
        console.sign_in(server.url)
        assert page.text_content("#connection") == "Live"
        assert console.sockets[0].endswith("/ws/console/")

        server.stop()
        page.wait_for_selector("#connection[data-state=reconnecting]")
        assert "retrying" in page.text_content("#connection")
        in_a_thread(while_away)
        server.start()

        page.wait_for_selector("#connection[data-state=connected]", timeout=20000)
        console.row(made["new"].reference).wait_for(timeout=5000)
        page.wait_for_selector(
            f"#feed button[data-reference='{fire.reference}'][data-status=acknowledged]"
        )
        assert "flash" not in console.row(fire.reference).get_attribute("class")
        reconnected = console.sockets[-1]
        assert "since=" in reconnected, console.sockets
        references = page.eval_on_selector_all(
            "#feed button", "rows => rows.map(row => row.dataset.reference)"
        )
        hosts = console.hosts
        # Refused connections while the server was down are the browser's own complaints.
        problems = console.csp_violations + [
            error for error in console.errors if "WebSocket connection to" not in error
        ]

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    # Each event applied once: no row twice.
    assert sorted(references) == sorted({fire.reference, dumping.reference, made["new"].reference})


def test_a_duplicate_is_merged_then_closed_from_the_detail_pane(server, operator, resident):
    first = file_report(resident, PARIS_HOTEL_DE_VILLE, "fight", description="Bagarre")
    second = file_report(resident, moved(PARIS_HOTEL_DE_VILLE, 20, 90), "fight")
    with desk() as console:
        page = console.page
        console.sign_in(server.url)
        console.row(second.reference).click()
        merge = page.locator(f"#detail-duplicates button[data-merge-into='{first.id}']")
        merge.wait_for()
        assert "Bagarre" in page.text_content("#detail-duplicates")
        merge.click()
        page.wait_for_selector("#detail-message:has-text('Fusionné dans l')")
        # Both rows show their incident, from the live incident.updated event.
        page.wait_for_selector(f"#feed button[data-reference='{first.reference}'] .incident")
        page.wait_for_selector(f"#feed button[data-reference='{second.reference}'] .incident")

        page.select_option("#close-outcome", "duplicate")
        page.fill("#close-note", "Même rixe que le premier signalement.")
        page.click("#close")
        page.wait_for_selector("#detail-status[data-status=closed]")
        console.row(second.reference).wait_for(state="detached")
        assert page.locator("#feed li").count() == 1
        problems = console.csp_violations + console.errors

    assert problems == []
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Status.CLOSED
    assert second.outcome == "duplicate"
    assert second.closing_note == "Même rixe que le premier signalement."
    assert second.incident_id == first.incident_id is not None


def test_a_silent_connection_is_taken_for_dead_and_opened_again(server, operator, resident):
    """A server that stops answering without closing anything (a frozen process, a cable
    pulled): the page notices the silence and connects again by itself."""
    with desk() as console:
        page = console.page

        # The same page with 3 s of silence allowed instead of 30, to keep the test short: the
        # settings block is edited as the parser inserts it, before the scripts read it.
        page.add_init_script(
            """new MutationObserver((changes, observer) => {
                const block = document.getElementById("vigie-config");
                if (!block || !block.textContent.includes("}")) return;
                block.textContent = block.textContent.replace(
                    '"silenceMs": 30000', '"silenceMs": 3000');
                observer.disconnect();
            }).observe(document, {childList: true, subtree: true, characterData: true});"""
        )
        console.sign_in(server.url)
        assert (
            page.evaluate(
                "JSON.parse(document.getElementById('vigie-config').textContent).silenceMs"
            )
            == 3000
        )

        server.process.send_signal(signal.SIGSTOP)
        try:
            page.wait_for_selector("#connection[data-state=reconnecting]", timeout=8000)
        finally:
            server.process.send_signal(signal.SIGCONT)
        page.wait_for_selector("#connection[data-state=connected]", timeout=20000)
        assert "since=" in console.sockets[-1]
        token = resident_token(server.url)
        body = {"category": "theft", "location": point_json(PARIS_HOTEL_DE_VILLE)}
        report = http("POST", f"{server.url}/api/v1/reports/", body, token)
        console.row(report["reference"]).wait_for(timeout=2000)
        problems = console.csp_violations + [
            error for error in console.errors if "WebSocket" not in error
        ]

    assert problems == []


def test_wrong_password_is_said_and_a_resident_cannot_open_the_console(server, resident):
    with desk(locale="en-GB") as console:
        page = console.page
        page.goto(f"{server.url}/console/")
        page.wait_for_selector("#signin-view:not([hidden])")
        assert page.text_content("#signin-title") == "Sign in to the console"
        assert page.text_content("#connection") == "Signed out"
        page.fill("#username", "dominique")
        page.fill("#password", "not the password")
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#signin-error:has-text('Wrong username or password')")

        page.fill("#username", "camille")
        page.fill("#password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#signin-error:has-text('for the centre')")
        assert page.is_hidden("#console-view")
        problems = console.csp_violations + [
            e for e in console.errors if "401" not in e and "403" not in e
        ]

    assert problems == []
