"""The supervisor's broadcast page in a desk-sized Chromium, against a real daphne.

A supervisor signs in on the page, draws the area around a resident's home on the map (a
point and a radius, or a polygon), writes the message, checks the preview, sends it and is
told it went to one resident; the rows say so; the resident reads it in their app. No tile
server answers (daphne_server points the tiles at itself): the map still draws.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from common.geojson import parse_area
from notifications.models import Broadcast, Notification
from notifications.services import broadcast_to_area
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    PASSWORD,
    CentreFactory,
    UserFactory,
    moved,
    otp_for,
)

pytestmark = [pytest.mark.e2e]

HOME = moved(PARIS_HOTEL_DE_VILLE, 250, 300)  # rue de Rivoli, near the Hôtel de Ville
FAR = moved(PARIS_HOTEL_DE_VILLE, 2500, 200)
SCREENSHOT = "broadcast.png"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}  # the page's language, as a French desk's


@pytest.fixture
def cast(daphne_server):
    """Rows made before the browser opens (see tests/e2e/conftest.py's `page`)."""
    paris = CentreFactory()
    supervisor = UserFactory(username="claire", role=Role.SUPERVISOR, centre=paris)
    resident = UserFactory(
        username="camille", role=Role.RESIDENT, centre=paris, address_location=HOME
    )
    UserFactory(username="far", role=Role.RESIDENT, centre=paris, address_location=FAR)
    UserFactory(username="dominique", role=Role.OPERATOR, centre=paris)
    # A message already running elsewhere in the city: the page lists it and maps its area.
    west, south = moved(FAR, 300, 225).coords
    east, north = moved(FAR, 300, 45).coords
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    broadcast_to_area(
        centre=paris,
        author=supervisor,
        title="Marché fermé",
        body="Le marché est fermé aujourd'hui.",
        severity="Minor",
        area=parse_area({"type": "Polygon", "coordinates": [ring]}),
        expires_at=timezone.now() + timedelta(hours=5),
    )
    return {"paris": paris, "supervisor": supervisor, "resident": resident}


class Desk:
    """The page, and what it did: hosts reached, CSP refusals, script errors."""

    def __init__(self, page, shots) -> None:
        self.page = page
        self.shots = shots
        page.set_extra_http_headers(FRENCH)
        self.hosts: set[str] = set()
        self.problems: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlparse(request.url).hostname))
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def sign_in(self, server: str, username: str = "claire") -> None:
        page = self.page
        if not page.url.startswith(server):
            page.goto(f"{server}/console/broadcast/")
        page.wait_for_selector("#signin-view:not([hidden])")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.fill("#otp", otp_for(username))  # staff give their authenticator's code
        page.click("#signin-form button[type=submit]")
        if username != "claire":
            return
        page.wait_for_selector("#broadcast-view:not([hidden])")
        page.wait_for_selector("#map canvas")
        page.wait_for_selector("#current-list li[data-broadcast]")

    def pixel_of(self, point) -> tuple[float, float]:
        x, y = self.page.evaluate(
            "(lonLat) => VigieBroadcast.areaMap.pixelOf(lonLat)", [point.x, point.y]
        )
        return x, y

    def zoom_on(self, point) -> None:
        """Bring the home into a street-level view, as a supervisor would before drawing."""
        self.page.evaluate(
            "(lonLat) => VigieBroadcast.areaMap.fit([...lonLat, ...lonLat], 16)",
            [point.x, point.y],
        )
        # Render now: pixels read before the next animation frame (late on a loaded machine)
        # would belong to the old view.
        self.page.evaluate("() => VigieBroadcast.areaMap.map.renderSync()")
        self.page.wait_for_timeout(300)

    def write_and_send(self, title: str) -> None:
        page = self.page
        page.fill("#title", title)
        page.fill("#body", "Évitez le secteur : intervention des secours en cours.")
        page.select_option("#severity", "Severe")
        page.click("#preview-button")
        page.wait_for_selector("#preview:not([hidden])")
        assert title in page.text_content("#preview-card")
        assert "prioritaire" in page.text_content("#preview-facts")
        page.wait_for_timeout(200)
        page.screenshot(path=str(self.shots / "broadcast-preview.png"), full_page=True)
        page.click("#send")
        page.wait_for_selector("#result[data-recipients]")


def in_a_thread(check, *args):
    """Run `check` (ORM work) beside Playwright's event loop, which holds this thread while the
    `page` fixture is open; its own connection sees what daphne committed."""

    def run():
        try:
            return check(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _check_rows(cast, title: str) -> Broadcast:
    broadcast = Broadcast.objects.get(title=title)
    assert broadcast.author == cast["supervisor"]
    assert broadcast.centre == cast["paris"]
    assert broadcast.severity == "Severe"
    assert broadcast.recipients == 1
    assert broadcast.area.covers(HOME)
    assert not broadcast.area.covers(FAR)
    notification = Notification.objects.get(broadcast=broadcast)
    assert notification.recipient == cast["resident"]
    assert notification.high_priority
    return broadcast


def test_a_supervisor_sends_a_message_to_a_circle_around_a_home(
    daphne_server, cast, page, tmp_path
):
    desk = Desk(page, tmp_path)
    desk.sign_in(daphne_server)
    assert page.text_content("#who").startswith("claire")
    assert page.is_hidden("#field-centre")  # one centre: nothing to choose

    desk.zoom_on(HOME)
    x, y = desk.pixel_of(HOME)
    page.locator("#map").click(position={"x": x, "y": y})
    page.wait_for_selector("#map[data-area=circle]")
    assert abs(float(page.input_value("#circle-lat")) - HOME.y) < 0.0003
    assert abs(float(page.input_value("#circle-lon")) - HOME.x) < 0.0003
    # The keyboard's way: exact coordinates typed in move the point; then the radius.
    page.fill("#circle-lat", f"{HOME.y:.6f}")
    page.fill("#circle-lon", f"{HOME.x:.6f}")
    page.fill("#radius", "150")
    assert f"150 m autour de {HOME.y:.5f}, {HOME.x:.5f}" in page.text_content("#area-status")
    desk.write_and_send("Fuite de gaz rue de Rivoli")

    assert page.get_attribute("#result", "data-recipients") == "1"
    assert page.text_content("#result") == "Message envoyé à 1 résident."
    page.wait_for_selector("#current-list[data-count='2']")
    page.wait_for_timeout(300)
    shot = tmp_path / SCREENSHOT
    page.screenshot(path=str(shot), full_page=True)
    hosts, problems = desk.hosts, desk.problems

    (settings.BASE_DIR / "var").mkdir(exist_ok=True)
    shutil.copy(shot, settings.BASE_DIR / "var" / SCREENSHOT)
    shutil.copy(tmp_path / "broadcast-preview.png", settings.BASE_DIR / "var")
    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    in_a_thread(_check_rows, cast, "Fuite de gaz rue de Rivoli")


def test_a_supervisor_draws_a_polygon_and_the_resident_reads_the_message(
    daphne_server, cast, page, tmp_path
):
    desk = Desk(page, tmp_path)
    # An operator may watch the console but not broadcast: the page says so.
    desk.sign_in(daphne_server, "dominique")
    page.wait_for_selector("#signin-error:has-text('superviseur')")
    assert page.is_hidden("#broadcast-view")
    desk.sign_in(daphne_server)

    desk.zoom_on(HOME)
    page.check("input[name=mode][value=polygon]")
    x, y = desk.pixel_of(HOME)
    corners = [(x - 60, y - 50), (x + 70, y - 40), (x + 50, y + 60), (x - 50, y + 45)]
    for cx, cy in [*corners, corners[0]]:  # the first corner again closes the polygon
        page.mouse.click(*_page_xy(page, cx, cy))
        page.wait_for_timeout(150)
    page.wait_for_selector("#map[data-area=polygon]")
    assert "4 sommets" in page.text_content("#area-status")
    desk.write_and_send("Fuite de gaz quai de l'Hôtel de Ville")

    assert page.get_attribute("#result", "data-recipients") == "1"
    assert page.text_content("#result") == "Message envoyé à 1 résident."
    page.wait_for_selector("#current-list[data-count='2']")
    assert "Fuite de gaz quai" in page.text_content("#current-list")
    page.wait_for_timeout(300)
    shot = tmp_path / "broadcast-polygon.png"
    page.screenshot(path=str(shot), full_page=True)

    # The resident, in their app, reads it among the messages from the centre.
    app = page.context.new_page()
    app.set_extra_http_headers(FRENCH)
    app.goto(f"{daphne_server}/app/")
    app.wait_for_selector("#signin-view:not([hidden])")
    app.fill("#username", "camille")
    app.fill("#password", PASSWORD)
    app.click("#signin-form button[type=submit]")
    app.wait_for_selector("#broadcasts:not([hidden])")
    text = app.text_content("#broadcasts")
    assert "Messages du centre" in text
    assert "Fuite de gaz quai de l'Hôtel de Ville" in text
    assert "Marché fermé" not in text  # elsewhere in the city
    assert app.get_attribute("#broadcasts details", "open") is not None  # severe: unfolded
    app.screenshot(path=str(tmp_path / "resident-broadcast.png"), full_page=True)
    hosts, problems = desk.hosts, desk.problems

    (settings.BASE_DIR / "var").mkdir(exist_ok=True)
    for name in ("broadcast-polygon.png", "resident-broadcast.png"):
        shutil.copy(tmp_path / name, settings.BASE_DIR / "var" / name)
    assert hosts == {"127.0.0.1"}, hosts
    assert problems == []
    in_a_thread(_check_rows, cast, "Fuite de gaz quai de l'Hôtel de Ville")


def _page_xy(page, x: float, y: float) -> tuple[float, float]:
    """A point of the map element in the page's coordinates."""
    box = page.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y
