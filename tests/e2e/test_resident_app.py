"""The resident web app on a phone-sized Chromium, against a real daphne and the real API."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from PIL import Image

from accounts.models import Role
from reporting.models import Attachment, Report
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, CentreFactory, UserFactory, enrol

# The report categories a flush removes come back through tests/conftest.py's `_categories`.
pytestmark = [pytest.mark.e2e]

PHONE = {"width": 360, "height": 740}
HOTEL_DE_VILLE = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 10}
SCREENSHOT = "resident-app.png"


@pytest.fixture(autouse=True)
def _media_in_tmp(monkeypatch, tmp_path):
    # The server is a subprocess: it reads the environment, which it inherits from here.
    monkeypatch.setenv("VIGIE_MEDIA_ROOT", str(tmp_path / "media"))


@pytest.fixture
def approved_resident(daphne_server):
    return UserFactory(username="camille", role=Role.RESIDENT, centre=CentreFactory())


@pytest.fixture
def applicant(daphne_server):
    CentreFactory()
    return enrol("applicant")


@pytest.fixture
def photo_path(tmp_path):
    path = tmp_path / "scene.jpg"
    Image.new("RGB", (320, 240), (40, 90, 160)).save(path, format="JPEG")
    return path


class Phone:
    """A page on a phone-sized screen, and what it did: hosts it reached, CSP refusals, script
    errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        self.posts: list = []
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("blob", "data"):  # photo previews, made in the page itself
            self.hosts.add(url.hostname or request.url)
        if request.method == "POST" and url.path == "/api/v1/reports/":
            self.posts.append(request)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, server: str, username: str) -> None:
        self.page.goto(f"{server}/app/")
        self.page.wait_for_selector("#signin-view:not([hidden])")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#signin-form button[type=submit]")


@contextlib.contextmanager
def phone(*, locale: str = "fr-FR", geolocation: dict | None = HOTEL_DE_VILLE) -> Iterator[Phone]:
    """Chromium as a phone. The ORM may be used again once this block has closed (Playwright's
    sync API runs an event loop in this thread while it is open)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=locale,
        )
        if geolocation is not None:
            context.grant_permissions(["geolocation"])
            context.set_geolocation(geolocation)
        try:
            yield Phone(context.new_page())
        finally:
            context.close()
            browser.close()


def test_resident_reports_with_a_photo_and_sees_it_in_their_list(
    daphne_server, approved_resident, photo_path, settings
):
    with phone() as device:
        page = device.page
        device.sign_in(daphne_server, "camille")

        page.wait_for_selector("#report-view:not([hidden])")
        page.wait_for_selector("#category option[value=fight]", state="attached")
        page.select_option("#category", "fight")
        page.fill("#description", "Une dizaine de personnes se battent devant la mairie.")
        page.wait_for_selector("#location-status[data-state=good]")
        assert "10 m" in page.text_content("#location-status")
        page.set_input_files("#photos", str(photo_path))
        page.wait_for_selector("#previews img")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(settings.BASE_DIR / "var" / SCREENSHOT), full_page=True)

        page.click("#send")
        page.wait_for_selector("#done-view:not([hidden])")
        reference = page.text_content("#done-reference")

        page.click("#done-mine")
        item = page.wait_for_selector(f"#mine-list li[data-reference='{reference}']")
        assert "Rixe, regroupement de bandes" in item.text_content()
        assert "Reçu" in item.text_content()
        page.click("#refresh")
        page.wait_for_selector("#mine-status:has-text('Mis à jour')")
        assert page.locator("#mine-list li").count() == 1

        page.click("#sign-out")
        page.wait_for_selector("#signin-view:not([hidden])")
        assert page.evaluate("() => localStorage.length") == 0
        hosts, problems = device.hosts, device.csp_violations + device.errors

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    report = Report.objects.annotate(
        off_by=Distance("location", Point(2.3522, 48.8566, srid=4326))
    ).get(author=approved_resident)
    assert report.reference == reference
    assert report.category.code == "fight"
    assert report.description == "Une dizaine de personnes se battent devant la mairie."
    assert report.off_by.m < 3
    assert report.accuracy_m == 10
    assert list(report.attachments.values_list("kind", flat=True)) == [Attachment.Kind.PHOTO]


def test_sending_again_after_a_lost_answer_makes_one_report(daphne_server, approved_resident):
    with phone() as device:
        page = device.page
        device.sign_in(daphne_server, "camille")
        page.wait_for_selector("#category option[value=fire]", state="attached")
        page.select_option("#category", "fire")
        page.wait_for_selector("#location-status[data-state=good]")

        # The server makes the report but its answer is lost on the way back.
        answers = []

        def lose_first_answer(route) -> None:  # noqa: ANN001
            if answers:
                route.continue_()
                return
            answers.append(route.fetch())
            route.abort("connectionreset")

        page.route("**/api/v1/reports/", lose_first_answer)
        page.click("#send")
        page.wait_for_selector("#report-error:not([hidden])")
        assert "n'est pas perdu" in page.text_content("#report-error")
        assert answers[0].status == 201

        page.click("#send")
        page.wait_for_selector("#done-view:not([hidden])")
        reference = page.text_content("#done-reference")
        keys = [post.headers["idempotency-key"] for post in device.posts]
        first_answer = answers[0].json()

        # The next report starts from a blank form, and will get a key of its own.
        page.click("#new-report")
        page.wait_for_selector("#report-view:not([hidden])")
        assert page.input_value("#category") == ""
        assert page.is_hidden("#report-error")
        page.wait_for_selector("#location-status[data-state=good]")
        problems = device.csp_violations + device.errors

    assert problems == []
    assert reference == first_answer["reference"]
    assert len(keys) == 2
    assert len(set(keys)) == 1
    assert Report.objects.filter(author=approved_resident).count() == 1


def test_pending_member_is_told_their_status_and_gets_no_report_form(daphne_server, applicant):
    with phone() as device:
        page = device.page
        device.sign_in(daphne_server, "applicant")

        page.wait_for_selector("#status-view:not([hidden])")
        assert page.text_content("#status-title") == "Inscription en attente"
        assert "en attente de validation" in page.text_content("#status-text")
        assert page.is_hidden("#report-view")
        assert page.is_hidden("#tabs")
        assert page.is_hidden("#category")

        # The status survives a reload (the token is kept), and signing out forgets it.
        page.reload()
        page.wait_for_selector("#status-view:not([hidden])")
        page.click("#sign-out")
        page.wait_for_selector("#signin-view:not([hidden])")
        hosts, problems = device.hosts, device.csp_violations + device.errors

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    assert not Report.objects.exists()


def test_without_geolocation_the_resident_drags_the_pin_in_english(
    daphne_server, approved_resident
):
    with phone(locale="en-GB", geolocation=None) as device:
        page = device.page
        device.sign_in(daphne_server, "camille")

        page.wait_for_selector("#location-status[data-state=denied]")
        assert "drag the pin" in page.text_content("#location-status")
        assert page.text_content("#send") == "Send the report"
        page.wait_for_selector("#category option[value=theft]", state="attached")
        page.select_option("#category", "theft")

        # Sending before placing the pin is stopped in the page, next to the map.
        page.click("#send")
        assert "Place the pin" in page.text_content("#location-error")
        page.wait_for_timeout(600)

        start_lon, start_lat = page.evaluate(
            """() => {
                const [w, s, e, n] = JSON.parse(
                    document.getElementById("vigie-config").textContent).defaultExtent;
                return [(w + e) / 2, (s + n) / 2];
            }"""
        )
        page.locator("#map").scroll_into_view_if_needed()
        box = page.locator("#map").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 30, y + 20, steps=5)
        page.mouse.up()
        page.wait_for_selector("#map[data-source=manual]")
        assert page.get_attribute("#map", "data-accuracy") == "5"
        assert page.is_hidden("#location-error")
        placed = [float(page.get_attribute("#map", f"data-{axis}")) for axis in ("lon", "lat")]

        page.click("#send")
        page.wait_for_selector("#done-view:not([hidden])")
        hosts, problems = device.hosts, device.csp_violations + device.errors

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    report = Report.objects.get(author=approved_resident)
    assert report.category.code == "theft"
    assert report.accuracy_m == 5
    assert report.attachments.count() == 0
    assert report.location.x == pytest.approx(placed[0], abs=1e-6)
    assert report.location.y == pytest.approx(placed[1], abs=1e-6)
    # Dragged right and down from the middle of the map: east and south of where it started.
    assert report.location.x > start_lon + 1e-3
    assert report.location.y < start_lat - 1e-3


def test_a_refused_token_sends_back_to_the_sign_in_form(daphne_server, approved_resident):
    with phone() as device:
        page = device.page
        page.goto(f"{daphne_server}/app/")
        page.evaluate(
            """() => localStorage.setItem("vigie.session", JSON.stringify(
                {token: "expired", role: "resident", status: "approved", username: "camille"}))"""
        )
        page.reload()

        page.wait_for_selector("#signin-view:not([hidden])")
        assert "connectez-vous à nouveau" in page.text_content("#signin-error")
        assert page.evaluate("() => localStorage.getItem('vigie.session')") is None
        assert page.is_hidden("#sign-out")
        assert device.errors == []


def test_a_poor_fix_and_a_refused_file_are_explained_next_to_their_fields(
    daphne_server, approved_resident, tmp_path
):
    not_a_photo = tmp_path / "IMG_0042.jpg"
    not_a_photo.write_bytes(b"these bytes are not a picture at all" * 10)
    with phone(geolocation={**HOTEL_DE_VILLE, "accuracy": 250}) as device:
        page = device.page
        device.sign_in(daphne_server, "camille")
        page.wait_for_selector("#category option[value=crowd]", state="attached")
        page.select_option("#category", "crowd")

        page.wait_for_selector("#location-status[data-state=poor]")
        assert "250 m" in page.text_content("#location-status")
        assert "faites glisser l'épingle" in page.text_content("#location-status")

        page.set_input_files("#photos", str(not_a_photo))
        page.click("#send")
        page.wait_for_selector("#media-error:not([hidden])")
        assert "IMG_0042.jpg" in page.text_content("#media-error")
        assert "photo reconnue" in page.text_content("#media-error")

        page.click("#previews .remove")
        assert page.locator("#previews li").count() == 0
        page.click("#send")
        page.wait_for_selector("#done-view:not([hidden])")
        problems = device.csp_violations + device.errors

    assert problems == []
    report = Report.objects.get(author=approved_resident)
    assert report.accuracy_m == 250
    assert report.attachments.count() == 0
