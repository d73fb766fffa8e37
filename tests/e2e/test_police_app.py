"""The police app on a phone-sized Chromium, against a real daphne, its WebSocket and the API.

An officer of PS-21 signs in and shares the car's position; an operator dispatches the unit
from another client, and the dispatch (report, photo, cameras, navigation) appears on the
phone within seconds, without a reload, with a banner. The officer taps through
acknowledged → en route → on scene → resolved (with an outcome and a note), and the
database follows each tap. A dispatch made while the app was closed is there when it opens;
one the centre cancels leaves the screen with a word saying so.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from dispatch.models import Intervention, InterventionEvent, UnitPosition
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    CentreFactory,
    camera_at,
    file_report,
    moved,
    otp_for,
)

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "police-app.png"
# Where the car is: 80 m from its last fix (the `unit` fixture's, 300 m NE of the Hôtel de Ville).
HERE = moved(moved(PARIS_HOTEL_DE_VILLE, 300, 45), 80, 180)
FIX = {"latitude": HERE.y, "longitude": HERE.x, "accuracy": 12}


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch, settings, tmp_path):
    # The photo is written here by the test and read back by the server's own process.
    monkeypatch.setenv("VIGIE_MEDIA_ROOT", str(tmp_path / "media"))
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def paris(daphne_server):
    return CentreFactory()


def _photo() -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("rixe.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def fight(paris, resident):
    """A resident's report of a fight at the Hôtel de Ville, with a photo, seen by a camera
    of another host (the app links to its snapshot rather than loading it under its CSP)."""
    from reporting.media import check_upload

    camera_at(
        paris,
        moved(PARIS_HOTEL_DE_VILLE, 40, 0),
        "PP-0007",
        name="Parvis Hôtel de Ville",
        kind="fixed",
        heading_deg=180.0,
        fov_deg=90.0,
        range_m=150.0,
        snapshot_url="http://cams.example.invalid/snap/{external_id}.jpg",
    )
    return file_report(
        resident,
        category="fight",
        description="Une dizaine de personnes se battent devant la mairie.",
        accuracy_m=8,
        media=[check_upload(_photo())],
    )


class Console:
    """An operator's client of the live server, signed in with a session (as the console is),
    sending the CSRF token back as the console does."""

    def __init__(self, server: str, username: str) -> None:
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        # Staff give their authenticator's code too (issue 9).
        otp = otp_for(username)
        self.post("/api/v1/auth/session/", {"username": username, "password": PASSWORD, "otp": otp})

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(  # noqa: S310 - our own server
            self.server + path, data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        csrf = next((c.value for c in self.cookies if c.name == "csrftoken"), None)
        if csrf:
            request.add_header("X-CSRFToken", csrf)
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


class Phone:
    """The app on a phone, and what it did: hosts it reached, CSP refusals, script errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        self.media_reads = 0
        self.rest_positions: list = []
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("blob", "data"):  # the page's own objects, not the network
            self.hosts.add(url.hostname or request.url)
        self.media_reads += "/media/" in url.path
        if request.method == "POST" and url.path.endswith("/position/"):
            self.rest_positions.append(request)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, server: str, username: str = "police") -> None:
        """Sign in on the page's form and wait until its socket is live."""
        self.page.goto(f"{server}/police/")
        self.page.wait_for_selector("#signin-view:not([hidden])")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.fill("#otp", otp_for(username))  # officers give their authenticator's code
        self.page.tap("#signin-form button[type=submit]")
        self.page.wait_for_selector("#app-view:not([hidden])")
        self.page.wait_for_selector("#connection[data-state=connected]")

    def step(self, to: str) -> None:
        """Tap the big button, whose next move is `to`, and wait until the page shows it."""
        self.page.wait_for_selector(f"#next-step[data-to={to}]:not([disabled])")
        self.page.tap("#next-step")
        if to != "resolved":
            self.page.wait_for_selector(f"#mission[data-state={to}]")

    @property
    def problems(self) -> list[str]:
        return self.csp_violations + self.errors


@contextlib.contextmanager
def phone(*, locale: str = "fr-FR", geolocation: dict | None = FIX) -> Iterator[Phone]:
    """Chromium as a phone. The ORM may be used again once this block has closed (Playwright's
    sync API runs an event loop in this thread while it is open): see `read_in_a_thread`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
        )
        if geolocation is not None:
            context.grant_permissions(["geolocation"])
            context.set_geolocation(geolocation)
        try:
            yield Phone(context.new_page())
        finally:
            context.close()
            browser.close()


def read_in_a_thread(read):  # noqa: ANN001, ANN201
    """Run an ORM read while the browser is open: in a thread of its own, with its own
    connection, closed afterwards so that the test database can be dropped."""
    result, failures = [], []

    def run() -> None:
        try:
            result.append(read())
        except Exception as exc:  # noqa: BLE001 - reported in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if failures:
        raise failures[0]
    return result[0]


def states(intervention_id: int) -> tuple[str, str, str]:
    """(intervention, unit, report) states, as the database has them now."""

    def read() -> tuple[str, str, str]:
        row = Intervention.objects.select_related("unit", "report").get(pk=intervention_id)
        return row.state, row.unit.status, row.report.status

    return read_in_a_thread(read)


def test_an_officer_receives_a_dispatch_live_and_taps_it_through_to_resolution(
    daphne_server, operator, unit, fight, tmp_path
):
    with phone() as device:
        page = device.page
        device.sign_in(daphne_server)
        assert page.text_content("#unit-callsign") == "PS-21"
        assert page.text_content("#unit-status") == "Disponible"
        assert page.is_visible("#idle")

        # Position sharing: the first fix goes out over the socket at once.
        page.tap("#share-toggle")
        page.wait_for_selector("#share-status[data-state=on]")
        assert page.get_attribute("#share-toggle", "aria-pressed") == "true"

        # The operator dispatches the car from the console's side, through the API.
        sent = Console(daphne_server, "operator").post(
            "/api/v1/interventions/", {"report": fight.pk, "unit": unit.pk}
        )
        dispatched = time.monotonic()
        page.wait_for_selector("#mission[data-state=dispatched]", timeout=5000)
        shown_after = time.monotonic() - dispatched
        page.wait_for_selector("#banner[data-kind=new]:not([hidden])")
        # The sign-in tap let sound play: the new dispatch rang.
        page.wait_for_selector("#banner[data-rang=true]")
        page.wait_for_selector(f"#mission-reference:has-text('{fight.reference}')")
        assert page.text_content("#mission-category") == "Rixe, regroupement de bandes"
        assert page.text_content("#mission-priority") == "HAUTE"
        assert "se battent devant la mairie" in page.text_content("#mission-description")
        assert page.text_content("#mission-state") == "Mission reçue · à prendre"
        assert page.text_content("#unit-status") == "En mission"
        lat, lon = f"{fight.location.y:.5f}", f"{fight.location.x:.5f}"
        assert page.get_attribute("#nav-geo", "href").startswith(f"geo:{lat},{lon}")
        osm = page.get_attribute("#nav-osm", "href")
        assert osm.startswith("https://www.openstreetmap.org/directions?")
        assert f"{lat}%2C{lon}" in osm
        # The photo is read with the token and shown from a blob: URL; the camera is listed.
        page.wait_for_selector("#mission-media img[src^='blob:']")
        page.wait_for_selector("#mission-cameras li:has-text('Parvis Hôtel de Ville')")
        assert states(sent["id"]) == ("dispatched", "busy", "dispatched")

        device.step("acknowledged")
        page.tap("#banner-close")
        assert states(sent["id"])[0] == "acknowledged"
        device.step("en_route")
        assert states(sent["id"])[0] == "en_route"
        device.step("on_scene")
        assert states(sent["id"]) == ("on_scene", "busy", "dispatched")
        assert page.locator("#mission-timeline li").count() == 4
        assert page.text_content("#next-step") == "TERMINER LA MISSION…"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.wait_for_timeout(300)
        shot = tmp_path / SCREENSHOT
        page.screenshot(path=str(shot), full_page=True)

        # Resolving asks for the outcome first.
        device.step("resolved")
        page.wait_for_selector("#resolve-form:not([hidden])")
        page.tap("#resolve-submit")
        page.wait_for_selector("#action-error:has-text('Choisissez')")
        page.tap("#outcomes input[value=warning]")
        page.fill("#resolve-note", "Groupe dispersé, un avertissement donné.")
        page.tap("#resolve-submit")
        page.wait_for_selector("#idle:not([hidden])")
        page.wait_for_selector("#banner[data-kind=ok]:has-text('Avertissement')")
        page.wait_for_selector("#unit-status:has-text('Disponible')")
        page.screenshot(path=str(tmp_path / "resolved.png"), full_page=True)
        hosts, problems = device.hosts, device.problems
        photo_reads = device.media_reads

    (settings.BASE_DIR / "var").mkdir(exist_ok=True)
    shutil.copy(shot, settings.BASE_DIR / "var" / SCREENSHOT)
    shutil.copy(tmp_path / "resolved.png", settings.BASE_DIR / "var" / "police-app-resolved.png")
    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    assert shown_after < 5
    assert photo_reads == 1  # read once, kept while the dispatch moves on
    intervention = Intervention.objects.select_related("unit", "report").get(pk=sent["id"])
    assert (intervention.state, intervention.outcome) == ("resolved", "warning")
    assert intervention.note == "Groupe dispersé, un avertissement donné."
    assert intervention.unit.status == "available"
    assert intervention.report.status == "resolved"
    moves = InterventionEvent.objects.filter(intervention=intervention).order_by("at", "pk")
    assert [(m.to_state, m.by.username) for m in moves] == [
        ("dispatched", "operator"),
        ("acknowledged", "police"),
        ("en_route", "police"),
        ("on_scene", "police"),
        ("resolved", "police"),
    ]
    shared = UnitPosition.objects.filter(unit=unit, reported_by__username="police")
    assert shared.exists()
    assert shared.latest("received_at").location.distance(HERE) < 1e-6
    unit.refresh_from_db()
    assert unit.last_location.distance(HERE) < 1e-6


def test_a_dispatch_made_while_the_app_was_closed_is_there_and_a_cancel_clears_it(
    daphne_server, operator, unit, fight
):
    from dispatch.services import dispatch_unit

    intervention = dispatch_unit(fight, unit=unit, operator=operator)

    with phone(locale="en-GB", geolocation=None) as device:
        page = device.page
        device.sign_in(daphne_server)
        page.wait_for_selector("#mission[data-state=dispatched]")
        page.wait_for_selector("#banner[data-kind=new]:not([hidden])")
        assert page.text_content("#next-step") == "ACKNOWLEDGE"
        assert page.text_content("#nav-geo") == "Navigate"
        page.wait_for_selector(f"#mission-reference:has-text('{fight.reference}')")

        Console(daphne_server, "operator").post(
            f"/api/v1/interventions/{intervention.pk}/transition/", {"to": "cancelled"}
        )
        page.wait_for_selector("#idle:not([hidden])", timeout=5000)
        assert "cancelled" in page.text_content("#banner-text")
        problems = device.problems

    assert problems == []
    intervention.refresh_from_db()
    assert intervention.state == "cancelled"


def test_a_dispatch_sent_while_the_socket_was_down_arrives_when_it_comes_back(
    daphne_server, operator, unit, fight
):
    with phone() as device:
        page = device.page
        sockets, down = [], threading.Event()

        def socket_route(ws) -> None:  # noqa: ANN001
            if down.is_set():
                ws.close(code=1011)  # the network is gone: nothing reaches the server
                return
            ws.connect_to_server()
            sockets.append(ws)

        page.route_web_socket("**/ws/police/", socket_route)
        device.sign_in(daphne_server)

        # The connection drops (a tunnel); the page says so and keeps trying.
        down.set()
        sockets[-1].close(code=1006)
        page.wait_for_selector("#connection[data-state=reconnecting]")
        # Meanwhile positions go through the REST API...
        page.tap("#share-toggle")
        page.wait_for_selector("#share-status[data-state=on]")
        # ...and the unit is dispatched: the frame is lost, the record is not.
        sent = Console(daphne_server, "operator").post(
            "/api/v1/interventions/", {"report": fight.pk, "unit": unit.pk}
        )
        page.wait_for_timeout(1500)
        assert page.is_visible("#idle")

        down.clear()
        page.wait_for_selector("#connection[data-state=connected]", timeout=20000)
        page.wait_for_selector(f"#mission[data-id='{sent['id']}'][data-state=dispatched]")
        page.wait_for_selector("#banner[data-kind=new]:not([hidden])")
        assert page.text_content("#connection") == "En direct"
        rest = [(r.post_data_json, r.response().status) for r in device.rest_positions]
        connections, problems = len(sockets), device.problems

    assert problems == []
    assert connections == 2
    assert len(rest) == 1
    body, status = rest[0]
    assert status == 204
    assert body["location"] == {"type": "Point", "coordinates": [HERE.x, HERE.y]}
    assert body["recorded_at"].endswith("Z")
    # The fixture's fix, then the one sent through the API while the socket was down.
    shared = UnitPosition.objects.filter(unit=unit, reported_by__username="police")
    assert shared.count() == 2
    assert shared.latest("received_at").location.distance(HERE) < 1e-6
