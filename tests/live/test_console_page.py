"""The operator console's page: a strict CSP, settings as data, nothing inline, who is signed in."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from common.csp import content_security_policy, tiles_source
from tests.pages import csp_of, read_page

pytestmark = pytest.mark.django_db

SCRIPT_LINES_MAX = 500


def _page(client, **headers):
    return read_page(client, "/console/", **headers)


def test_console_is_served_with_a_strict_content_security_policy(client, settings):
    settings.VIGIE_MAP_TILES_URL = "https://{a-c}.tiles.example.org/osm/{z}/{x}/{y}.png"

    response, parts, _ = _page(client)

    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    # Its own socket, named for engines where 'self' does not cover ws: yet; nothing else.
    assert csp["connect-src"] == ["'self'", "ws://testserver"]
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://*.tiles.example.org"]
    assert csp["media-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["Cache-Control"] == "no-cache, private"
    assert "geolocation=()" in response["Permissions-Policy"]
    # Nothing inline: every script is a static file, except the settings, which are data.
    assert parts.inline_anything == 0
    for script in parts.scripts:
        if script.get("id") == "vigie-config":
            assert script["type"] == "application/json"
        else:
            assert script["src"].startswith("/static/")
            assert not script["text"].strip()


def test_over_tls_the_socket_source_is_wss(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response, _, _ = _page(client, HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="localhost")

    assert csp_of(response)["connect-src"] == ["'self'", "wss://localhost"]


def test_every_script_and_stylesheet_exists_and_scripts_stay_short(client):
    _, parts, _ = _page(client)

    for url in [s["src"] for s in parts.scripts if "src" in s] + parts.stylesheets:
        path = finders.find(url.removeprefix(django_settings.STATIC_URL))
        assert path, url
        if url.startswith("/static/console/") and url.endswith(".js"):
            with open(path, encoding="utf-8") as source:
                assert sum(1 for _ in source) <= SCRIPT_LINES_MAX, url


def test_french_by_default_english_on_request(client):
    _, parts, config = _page(client)
    assert (parts.html_lang, config["language"]) == ("fr", "fr")

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert (parts.html_lang, config["language"]) == ("en", "en")


def test_every_text_exists_in_both_languages():
    path = finders.find("console/strings.js")
    with open(path, encoding="utf-8") as source:
        text = source.read()
    french, english = text.split("\n  en: {")
    keys = re.compile(r'^\s+"([a-zA-Z0-9_.-]+)":', re.MULTILINE)
    assert set(keys.findall(french)) == set(keys.findall(english))


def test_before_sign_in_the_page_knows_nobody_and_shows_every_centre(client, paris, saint_denis):
    _, _, config = _page(client)

    assert config["user"] is None
    west, south, east, north = config["defaultExtent"]
    # Paris and Saint-Denis together.
    assert west < 2.3 < 2.41 < east
    assert south < 48.82 < 48.95 < north
    assert config["api"] == {
        "session": "/api/v1/auth/session/",
        "categories": "/api/v1/categories/",
        "reports": "/api/v1/reports/",
        "cameras": "/api/v1/cameras/",
        "devices": "/api/v1/devices/",
        "units": "/api/v1/units/",
        "interventions": "/api/v1/interventions/",
    }
    assert config["socketPath"] == "/ws/console/"
    assert config["silenceMs"] == 30_000


def test_a_signed_in_operator_gets_their_centres_and_their_area(client, operator, saint_denis):
    client.force_login(operator)

    _, _, config = _page(client)

    assert config["user"] == {
        "username": "operator",
        "role": "operator",
        "centres": [{"id": operator.centres.get().pk, "slug": "paris-csu", "name": "CSU de Paris"}],
    }
    west, south, east, north = config["defaultExtent"]
    assert north < 48.91  # Paris only: Saint-Denis, further north, is not theirs


@pytest.mark.parametrize("who", ["resident", "police_officer", "vetting_officer"])
def test_staff_who_may_not_watch_a_console_are_not_signed_in_there(client, request, who):
    client.force_login(request.getfixturevalue(who))

    _, _, config = _page(client)

    assert config["user"] is None


def test_only_get_and_head(client):
    assert client.post("/console/").status_code == 405
    assert client.head("/console/").status_code == 200


def test_tiles_from_this_site_add_no_image_source():
    assert tiles_source("/tiles/{z}/{x}/{y}.png") is None
    csp = content_security_policy("/tiles/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob:" in csp.split("; ")
    assert "media-src" not in csp
