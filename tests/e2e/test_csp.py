"""In a real Chromium, the pages with the most moving parts run under the site's strict
Content-Security-Policy without a single violation: the operator console (map, socket), the
admin's centre form (the jurisdiction's map widget) and the API docs (Swagger UI)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from tests.factories import CentreFactory, UserFactory

pytestmark = [pytest.mark.e2e]


class Violations:
    """What the browser reports about the page: CSP refusals and script errors."""

    def __init__(self, page) -> None:
        self.csp: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp.append(message.text)


def _session_of(user) -> str:
    """A signed-in session verified by a second factor, as the sign-in forms would leave it:
    the pages are what is tested here, not their sign-in steps (tested with each app)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return session.session_key


@pytest.fixture
def centre(daphne_server):
    return CentreFactory()


@pytest.fixture
def operator_session(centre):
    return _session_of(UserFactory(username="dominique", role=Role.OPERATOR, centre=centre))


@pytest.fixture
def admin_session(centre):
    return _session_of(UserFactory(username="cityadmin", role=Role.ADMIN, centre=centre))


def _open_as(page, server: str, session_key: str) -> Violations:
    page.context.add_cookies([{"name": "sessionid", "value": session_key, "url": server}])
    return Violations(page)


def test_the_console_runs_without_a_csp_violation(daphne_server, operator_session, page):
    seen = _open_as(page, daphne_server, operator_session)

    response = page.goto(f"{daphne_server}/console/")
    page.wait_for_selector("#connection[data-state=connected]", timeout=15_000)
    page.wait_for_selector("#map canvas", timeout=15_000)
    page.wait_for_timeout(500)  # late loads (tiles, fonts) report after the first paint

    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert seen.csp == []
    assert seen.errors == []


def test_the_admin_centre_form_draws_its_map_without_a_csp_violation(
    daphne_server, centre, admin_session, page
):
    seen = _open_as(page, daphne_server, admin_session)

    response = page.goto(f"{daphne_server}/admin/accounts/monitoringcentre/{centre.pk}/change/")
    page.wait_for_selector("#id_jurisdiction_map canvas", timeout=15_000)
    features = page.evaluate(
        "() => geodjango_jurisdiction.featureOverlay.getSource().getFeatures().length"
    )

    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert features == 1
    assert seen.csp == []
    assert seen.errors == []


def test_the_api_docs_run_without_a_csp_violation(daphne_server, page):
    seen = Violations(page)

    response = page.goto(f"{daphne_server}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)

    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert seen.csp == []
    assert seen.errors == []
