"""The shop's alert-button page on a phone-sized Chromium, against a real daphne and the API.

A business presses and confirms; the page shows the reference and "Alerte reçue"; an operator
acknowledges it from another client and the page says "Vue par le centre" within seconds. A
lost answer is sent again by the page itself under the same Idempotency-Key (one alert), and a
false alarm is cancelled on the PIN pad.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.gis.db.models.functions import Distance

from accounts.models import Role
from alerts import services
from alerts.models import Alert
from reporting.models import Report, Status
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import (
    BUTTON_PIN,
    DURESS_PIN,
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    CentreFactory,
    UserFactory,
    moved,
    otp_for,
)

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "alert-button.png"
# Where the phone is: 30 m east of the shop's registered address, known to 15 m.
HERE = moved(PARIS_HOTEL_DE_VILLE, 30, 90)
FIX = {"latitude": HERE.y, "longitude": HERE.x, "accuracy": 15}
PRESS = "/api/v1/alerts/press/"


@pytest.fixture
def paris(daphne_server):
    return CentreFactory()


@pytest.fixture
def shop(paris):
    """An approved bakery at the Hôtel de Ville, with the PINs of its in-app button set."""
    bakery = UserFactory(
        username="boulangerie",
        role=Role.BUSINESS,
        centre=paris,
        address_location=PARIS_HOTEL_DE_VILLE,
    )
    button = services.app_button_for(bakery)
    services.set_pins(button, cancel_pin=BUTTON_PIN, duress_pin=DURESS_PIN)
    return bakery


@pytest.fixture
def operator(paris):
    return UserFactory(username="dominique", role=Role.OPERATOR, centre=paris)


@pytest.fixture
def resident(paris):
    return UserFactory(username="camille", role=Role.RESIDENT, centre=paris)


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
    """The page on a phone, and what it did: hosts it reached, presses it sent, CSP refusals,
    script errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        self.presses: list = []
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_request(self, request) -> None:
        url = urlparse(request.url)
        self.hosts.add(url.hostname or request.url)
        if request.method == "POST" and url.path == PRESS:
            self.presses.append(request)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, server: str, username: str = "boulangerie") -> None:
        self.page.goto(f"{server}/shop/")
        self.page.wait_for_selector("#signin-view:not([hidden])")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.tap("#signin-form button[type=submit]")

    def press_and_confirm(self) -> dict:
        """The two taps; returns the press's answer (201: report, reference, cancel_until)."""
        self.page.wait_for_selector("#button-view:not([hidden])")
        self.page.tap("#alert-button")
        self.page.wait_for_selector("#confirm-area:not([hidden])")
        with self.page.expect_response(lambda r: urlparse(r.url).path == PRESS) as answer:
            self.page.tap("#confirm")
        self.page.wait_for_selector("#alert-view:not([hidden])")
        return answer.value.json()

    @property
    def problems(self) -> list[str]:
        return self.csp_violations + self.errors


@contextlib.contextmanager
def phone(*, locale: str = "fr-FR", geolocation: dict | None = FIX) -> Iterator[Phone]:
    """Chromium as a phone. The ORM may be used again once this block has closed (Playwright's
    sync API runs an event loop in this thread while it is open)."""
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


def test_a_shop_presses_confirms_and_sees_the_centre_take_it_in_hand(
    daphne_server, shop, operator, tmp_path
):
    with phone() as device:
        page = device.page
        device.sign_in(daphne_server)
        page.wait_for_selector("#button-view:not([hidden])")
        assert page.text_content("#alert-button .alert-button-word") == "ALERTE"
        page.wait_for_selector("#button-view[data-fix=ready]", state="attached")

        # One tap only asks; left alone, the question goes away and nothing is sent.
        page.tap("#alert-button")
        page.wait_for_selector("#confirm-area:not([hidden])")
        assert "Confirmer" in page.text_content("#confirm-countdown")
        page.screenshot(path=str(tmp_path / "confirm.png"))
        page.tap("#confirm-abort")
        assert page.is_hidden("#confirm-area")
        assert device.presses == []

        created = device.press_and_confirm()
        reference = page.text_content("#alert-reference")
        assert reference == created["reference"]
        page.wait_for_selector("#alert-status[data-state=received]")
        assert page.text_content("#alert-state") == "Alerte reçue"
        assert page.is_visible("#cancel-area")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

        # The operator acknowledges it from the console's side, through the API.
        Console(daphne_server, "dominique").post(
            f"/api/v1/reports/{created['report']}/acknowledge/", {}
        )
        acknowledged = time.monotonic()
        page.wait_for_selector("#alert-status[data-state=seen]", timeout=6000)
        seen_after = time.monotonic() - acknowledged
        assert page.text_content("#alert-state") == "Vue par le centre"
        assert page.get_attribute("#alert-steps li[data-step=seen]", "data-done") == "true"
        assert page.get_attribute("#alert-steps li[data-step=help_coming]", "data-done") == "false"

        page.wait_for_timeout(300)
        shot = tmp_path / SCREENSHOT
        page.screenshot(path=str(shot), full_page=True)
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        shutil.copy(shot, settings.BASE_DIR / "var" / SCREENSHOT)
        shutil.copy(
            tmp_path / "confirm.png", settings.BASE_DIR / "var" / "alert-button-confirm.png"
        )

        # A reload shows the alert still in progress, where it stands.
        page.reload()
        page.wait_for_selector("#alert-view:not([hidden])")
        page.wait_for_selector("#alert-status[data-state=seen]")
        assert page.text_content("#alert-reference") == reference

        sent = device.presses[0]
        body, key = sent.post_data_json, sent.headers.get("idempotency-key")
        hosts, presses, problems = device.hosts, len(device.presses), device.problems

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    assert presses == 1
    assert seen_after < 6
    assert key
    assert body["kind"] == "panic"
    assert body["location"]["type"] == "Point"
    alert = Alert.objects.select_related("report", "device").get()
    assert alert.device.owner == shop
    assert (alert.channel, alert.kind, alert.located_by) == ("app", "panic", "sender")
    report = Report.objects.annotate(off_by=Distance("location", HERE)).get(pk=alert.report_id)
    assert report.reference == reference
    assert report.off_by.m < 1
    assert report.status == Status.ACKNOWLEDGED
    assert report.acknowledged_by == operator


def test_a_lost_answer_is_sent_again_by_itself_then_the_false_alarm_is_cancelled(
    daphne_server, shop
):
    with phone(geolocation=None) as device:
        page = device.page
        answers = []

        def lose_first_answer(route) -> None:  # noqa: ANN001
            if answers:
                route.continue_()
                return
            answers.append(route.fetch())  # the server makes the alert...
            route.abort("connectionreset")  # ...but its answer is lost on the way back

        page.route(f"**{PRESS}", lose_first_answer)
        device.sign_in(daphne_server)
        created = device.press_and_confirm()
        page.wait_for_selector("#alert-status[data-state=received]")

        page.tap("#cancel-open")
        page.wait_for_selector("#pinpad:not([hidden])")
        for digit in "9999":
            page.tap(f"#pinpad [data-digit='{digit}']")
        assert page.get_attribute("#pin-dots", "data-length") == "4"
        page.tap("#pin-submit")
        page.wait_for_selector("#cancel-error:has-text('Code incorrect')")
        assert page.get_attribute("#pin-dots", "data-length") == "0"

        for digit in BUTTON_PIN:
            page.tap(f"#pinpad [data-digit='{digit}']")
        page.tap("#pin-submit")
        page.wait_for_selector("#alert-status[data-state=cancelled]")
        assert page.text_content("#alert-state") == "Annulée"
        assert page.is_hidden("#cancel-area")
        assert page.is_hidden("#alert-steps")

        page.tap("#back-to-button")
        page.wait_for_selector("#button-view:not([hidden])")
        assert page.is_hidden("#current-alert")
        keys = [press.headers.get("idempotency-key") for press in device.presses]
        bodies = [press.post_data for press in device.presses]
        lost = (answers[0].status, answers[0].json())
        problems = device.problems

    assert problems == []
    assert lost[0] == 201
    assert created["report"] == lost[1]["report"]
    assert len(keys) == 2
    assert len(set(keys)) == 1
    assert bodies[0] == bodies[1]
    assert json.loads(bodies[0]) == {"kind": "panic"}  # no position: the registered address
    alert = Alert.objects.select_related("report").get()
    assert alert.located_by == "device"
    assert alert.cancelled_at is not None
    assert alert.failed_pin_attempts == 1
    assert alert.report.status == Status.CLOSED
    assert alert.report.outcome == "false_alarm"


def test_a_resident_is_told_the_page_is_for_businesses(daphne_server, resident):
    with phone(locale="en-GB", geolocation=None) as device:
        page = device.page
        device.sign_in(daphne_server, "camille")

        page.wait_for_selector("#signin-error:not([hidden])")
        assert "for shops and premises" in page.text_content("#signin-error")
        assert page.is_hidden("#button-view")
        assert page.evaluate("() => localStorage.getItem('vigie.shop.session')") is None
        problems = device.problems

    assert problems == []
    assert not Alert.objects.exists()
