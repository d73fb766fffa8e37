"""The admin shows a centre's jurisdiction on a map, with nothing fetched from outside."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from accounts.models import Role
from tests.factories import PASSWORD, CentreFactory, UserFactory, otp_for, totp_device_for

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def centre(daphne_server):
    centre = CentreFactory()
    totp_device_for(UserFactory(username="cityadmin", role=Role.ADMIN, centre=centre))
    return centre


def test_admin_draws_the_jurisdiction_from_vendored_openlayers(
    daphne_server, centre, page, settings
):
    # Tiles come from the city's own server in production; here the test server points at
    # itself (see daphne_server), so any request leaving it is a runtime download.
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))

    page.goto(f"{daphne_server}/admin/login/")
    page.fill("#id_username", "cityadmin")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", otp_for("cityadmin"))
    page.click("input[type=submit]")
    page.goto(f"{daphne_server}/admin/accounts/monitoringcentre/{centre.pk}/change/")

    page.wait_for_selector("#id_jurisdiction_map canvas", timeout=15_000)
    features = page.evaluate(
        "() => geodjango_jurisdiction.featureOverlay.getSource().getFeatures().length"
    )
    assert features == 1  # Paris, one MultiPolygon
    extent = page.evaluate(
        "() => ol.proj.transformExtent("
        "geodjango_jurisdiction.featureOverlay.getSource().getFeatures()[0].getGeometry()"
        ".getExtent(), 'EPSG:3857', 'EPSG:4326')"
    )
    west, south, east, north = extent
    assert 2.2 < west < 2.3
    assert 2.4 < east < 2.5
    assert 48.8 < south < 48.85
    assert 48.88 < north < 48.95
    assert hosts == {urlparse(daphne_server).hostname}, hosts
    page.screenshot(path=str(settings.BASE_DIR / "var" / "admin-jurisdiction.png"))
