"""The shop's alert-button page (`/shop/`): served with a strict CSP, settings as data, nothing
inline, nothing from another origin, the API paths it needs."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

from tests.pages import csp_of, read_page

pytestmark = pytest.mark.django_db

SCRIPTS = [
    "/static/alerts/strings.js",
    "/static/alerts/base.js",
    "/static/alerts/alert.js",
    "/static/alerts/button.js",
]


def _page(client, **headers):
    return read_page(client, "/shop/", **headers)


def test_page_is_served_with_a_strict_content_security_policy(client, settings):
    settings.VIGIE_MAP_TILES_URL = "https://tiles.example.org/osm/{z}/{x}/{y}.png"

    response, _, _ = _page(client)

    assert response["Content-Type"].startswith("text/html")
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    # No map on this page: not even the tile server is allowed.
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-cache"


def test_page_has_no_inline_script_or_style_and_only_local_assets(client):
    _, parts, _ = _page(client)

    code = [s for s in parts.scripts if s.get("type") != "application/json"]
    assert [s["src"] for s in code] == SCRIPTS
    assert all(not s["text"].strip() for s in code)
    assert all("defer" in s for s in code)
    assert parts.stylesheets == ["/static/alerts/button.css", "/static/alerts/alert.css"]
    assert parts.inline_anything == 0
    for asset in [*parts.stylesheets, *SCRIPTS]:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_the_settings_block_names_the_api_and_the_timings(client, settings):
    settings.VIGIE_ALERT_CANCEL_WINDOW_S = 90

    _, _, config = _page(client)

    assert config["api"] == {
        "token": "/api/v1/auth/token/",
        "press": "/api/v1/alerts/press/",
        "alerts": "/api/v1/alerts/",
        "alert": "/api/v1/alerts/{report}/",
        "cancel": "/api/v1/alerts/cancel/",
        "pins": "/api/v1/alerts/pins/",
    }
    assert config["cancelWindowS"] == 90
    assert config["pinLengths"] == [4, 8]
    # The press never waits long for a position, and the status is asked for often.
    assert config["geolocationWaitMs"] <= 2000
    assert config["geolocationAccuracyM"] <= 100
    assert config["pollMs"] <= 5000
    assert 2000 <= config["confirmMs"] <= 10000
    assert sum(config["pressRetryMs"]) <= 30000
    assert "serverNow" in config


def test_the_page_works_without_a_map(client):
    response, parts, config = _page(client)

    assert "tilesUrl" not in config
    assert not [s for s in parts.scripts if "openlayers" in s.get("src", "")]
    assert b'id="map"' not in response.content


def test_the_status_line_is_announced_and_the_button_is_a_real_button(client):
    response, _, _ = _page(client)
    html = response.content.decode()

    assert 'id="alert-status" class="alert-status" role="status" aria-live="assertive"' in html
    assert '<button type="button" id="alert-button"' in html
    assert '<button type="button" id="confirm"' in html


def test_page_is_french_by_default_and_english_when_the_browser_prefers_it(client):
    response, parts, config = _page(client)
    assert parts.html_lang == config["language"] == "fr"
    assert "Accept-Language" in response["Vary"]

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5")
    assert parts.html_lang == config["language"] == "en"

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert parts.html_lang == config["language"] == "fr"


def test_every_text_exists_in_french_and_english(settings):
    import re

    folder = settings.BASE_DIR / "static" / "alerts"
    strings = (folder / "strings.js").read_text(encoding="utf-8")
    french, english = strings.split("\n  en: {\n")
    keys = re.compile(r'^\s+"([a-z_.A-Z]+)":', re.MULTILINE)
    assert set(keys.findall(french)) == set(keys.findall(english))
    used = set()
    template = (settings.BASE_DIR / "templates" / "alerts" / "button.html").read_text()
    used |= set(re.findall(r'data-i18n(?:-label)?="([^"]+)"', template))
    for script in ("base.js", "alert.js", "button.js"):
        text = (folder / script).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z_.A-Z]+)"\s*[,)]', text))
    # The status line's keys are made from the API's states.
    for state in ("received", "seen", "help_coming", "resolved", "cancelled"):
        used |= {f"state.{state}", f"state.{state}.detail"}
    assert used - set(keys.findall(french)) == set()


def test_page_only_answers_reads(client):
    assert client.post("/shop/").status_code == 405
