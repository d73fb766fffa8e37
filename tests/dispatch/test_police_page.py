"""The police app (`/police/`): served with a strict CSP, settings as data, nothing inline,
nothing from another origin, the API paths and the position-sharing rules it needs."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from dispatch.models import InterventionOutcome, State
from tests.pages import csp_of, read_page

pytestmark = pytest.mark.django_db

SCRIPTS = [
    "/static/police/strings.js",
    "/static/police/base.js",
    "/static/police/socket.js",
    "/static/police/position.js",
    "/static/police/mission.js",
    "/static/police/app.js",
]
STYLESHEETS = ["/static/police/police.css", "/static/police/mission.css"]


def _page(client, **headers):
    return read_page(client, "/police/", **headers)


def test_page_is_served_with_a_strict_content_security_policy(client, settings):
    settings.VIGIE_MAP_TILES_URL = "https://tiles.example.org/osm/{z}/{x}/{y}.png"

    response, _, _ = _page(client)

    assert response["Content-Type"].startswith("text/html")
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    # Its own API and its own WebSocket, nothing else.
    assert csp["connect-src"] == ["'self'", "ws://testserver"]
    # No map: not even the tile server. Photos are shown from blob: URLs read with the token.
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["media-src"] == ["'self'", "blob:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-cache"


def test_behind_https_the_socket_source_is_wss(client):
    response, _, _ = _page(client, secure=True)

    assert csp_of(response)["connect-src"] == ["'self'", "wss://testserver"]


def test_page_has_no_inline_script_or_style_and_only_local_assets(client):
    _, parts, _ = _page(client)

    code = [s for s in parts.scripts if s.get("type") != "application/json"]
    assert [s["src"] for s in code] == SCRIPTS
    assert all(not s["text"].strip() for s in code)
    assert all("defer" in s for s in code)
    assert parts.stylesheets == STYLESHEETS
    assert parts.inline_anything == 0
    for asset in [*STYLESHEETS, *SCRIPTS]:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_the_settings_block_names_the_api_the_socket_and_the_sharing_rules(client, settings):
    settings.VIGIE_MAX_ACCURACY_M = 150

    _, _, config = _page(client)

    assert config["api"] == {
        "token": "/api/v1/auth/token/",
        "categories": "/api/v1/categories/",
        "units": "/api/v1/units/",
        "unitPosition": "/api/v1/units/{unit}/position/",
        "unitStatus": "/api/v1/units/{unit}/status/",
        "interventions": "/api/v1/interventions/",
        "transition": "/api/v1/interventions/{intervention}/transition/",
        "report": "/api/v1/reports/{report}/",
    }
    assert config["socketPath"] == "/ws/police/"
    # At most one fix every 5 s; only after 10 m, or 30 s without one.
    assert config["position"] == {
        "minIntervalMs": 5000,
        "minMoveM": 10,
        "maxSilenceMs": 30000,
        "maxAccuracyM": 150,
    }
    assert config["outcomes"] == list(InterventionOutcome.values)
    # The server pings every 15 s: a page hears something at least that often.
    assert config["silenceMs"] >= 30000
    assert config["reconnectFirstMs"] <= 1000
    assert config["reconnectMaxMs"] <= 30000
    assert "serverNow" in config


def test_the_page_works_without_a_map_or_any_other_origin(client):
    response, parts, config = _page(client)

    assert "tilesUrl" not in config
    assert not [s for s in parts.scripts if "openlayers" in s.get("src", "")]
    assert b'id="map"' not in response.content
    assert not re.search(rb'(src|href)="(https?:)?//', response.content)


def test_the_dispatch_is_announced_and_the_next_step_is_one_real_button(client):
    response, _, _ = _page(client)
    html = response.content.decode()

    assert 'id="mission-summary" class="mission-summary" aria-live="assertive"' in html
    assert '<div id="banner" class="banner" role="alert" hidden>' in html
    assert '<button type="button" id="next-step"' in html
    assert '<a id="nav-geo"' in html
    assert '<a id="nav-osm"' in html


def test_page_is_french_by_default_and_english_when_the_browser_prefers_it(client):
    response, parts, config = _page(client)
    assert parts.html_lang == config["language"] == "fr"
    assert "Accept-Language" in response["Vary"]

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5")
    assert parts.html_lang == config["language"] == "en"

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert parts.html_lang == config["language"] == "fr"


def test_every_text_exists_in_french_and_english(settings):
    folder = settings.BASE_DIR / "static" / "police"
    strings = (folder / "strings.js").read_text(encoding="utf-8")
    french, english = strings.split("\n  en: {\n")
    keys = re.compile(r'^\s+"([a-z_.A-Z]+)":', re.MULTILINE)
    assert set(keys.findall(french)) == set(keys.findall(english))
    used = set()
    template = (settings.BASE_DIR / "templates" / "police" / "app.html").read_text()
    used |= set(re.findall(r'data-i18n="([^"]+)"', template))
    for script in ("base.js", "socket.js", "position.js", "mission.js", "app.js"):
        text = (folder / script).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z_.A-Z]+)"\s*[,)]', text))
    # Keys made from the API's values: states, the officer's next steps, outcomes, priorities,
    # unit statuses, connection states, media kinds.
    used |= {f"state.{state}" for state in State.values}
    used |= {f"step.{step}" for step in ("acknowledged", "en_route", "on_scene", "resolved")}
    used |= {f"outcome.{outcome}" for outcome in InterventionOutcome.values}
    used |= {f"priority.{p}" for p in ("critical", "high", "normal", "low")}
    used |= {f"status.{s}" for s in ("available", "busy", "off_duty")}
    used |= {f"conn.{s}" for s in ("connecting", "connected", "reconnecting", "offline")}
    used |= {"media.play.video", "media.play.audio"}
    assert used - set(keys.findall(french)) == set()


def test_page_only_answers_reads(client):
    assert client.post("/police/").status_code == 405
