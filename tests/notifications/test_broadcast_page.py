"""The supervisor's broadcast page: supervisors only, a strict CSP, settings as data, nothing
inline."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from tests.pages import PageParts, csp_of, read_page

pytestmark = pytest.mark.django_db

PAGE = "/console/broadcast/"
SCRIPT_LINES_MAX = 400


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def refused_page(client) -> tuple:
    response = client.get(PAGE)
    parts = PageParts()
    parts.feed(response.content.decode())
    config = next(s for s in parts.scripts if s.get("id") == "vigie-config")
    return response, json.loads(config["text"])


def test_a_signed_in_supervisor_gets_their_centres_and_the_api_s_limits(
    client, supervisor, saint_denis
):
    client.force_login(supervisor)

    response, _, config = read_page(client, PAGE)

    paris = supervisor.centres.get()
    user = config["user"]
    assert (user["username"], user["role"]) == ("supervisor", "supervisor")
    assert [(c["id"], c["name"]) for c in user["centres"]] == [(paris.pk, "CSU de Paris")]
    assert user["centres"][0]["outline"]["type"] == "MultiPolygon"
    assert config["refused"] is False
    west, south, east, north = config["defaultExtent"]
    assert north < 48.91  # Paris only: Saint-Denis, further north, is not theirs
    assert config["api"] == {
        "session": "/api/v1/auth/session/",
        "broadcasts": "/api/v1/broadcasts/",
    }
    assert config["consoleUrl"] == "/console/"
    assert config["severities"] == ["Extreme", "Severe", "Moderate", "Minor"]
    assert config["defaultSeverity"] == "Moderate"
    assert config["defaultDurationH"] == django_settings.VIGIE_BROADCAST_HOURS
    assert config["defaultDurationH"] in config["durationsH"]
    # The API's own limits (notifications/api.py), so the form refuses what the server would.
    assert (config["titleMax"], config["bodyMax"], config["areaDescriptionMax"]) == (140, 2000, 300)
    assert (config["radiusMin"], config["radiusMax"]) == (10, 20_000)
    assert config["radiusMin"] <= config["defaultRadiusM"] <= config["radiusMax"]
    # The CSRF cookie the script sends back with its POST.
    assert response.cookies["csrftoken"].value


def test_an_administrator_of_a_centre_may_broadcast_too(client, admin_user):
    client.force_login(admin_user)

    _, _, config = read_page(client, PAGE)

    assert config["user"]["username"] == "cityadmin"


def test_before_sign_in_the_page_offers_the_sign_in_form(client, paris, saint_denis):
    _, parts, config = read_page(client, PAGE)

    assert config["user"] is None
    assert config["refused"] is False
    west, south, east, north = config["defaultExtent"]
    assert west < 2.3 < 2.41 < east
    assert south < 48.82 < 48.95 < north  # Paris and Saint-Denis together
    assert parts.html_lang == "fr"


@pytest.mark.parametrize("who", ["operator", "police_officer", "vetting_officer", "resident"])
def test_anyone_else_signed_in_is_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response, config = refused_page(client)

    assert response.status_code == 403
    assert config["user"] is None
    assert config["refused"] is True
    assert "Content-Security-Policy" in response


def test_the_page_is_served_with_a_strict_content_security_policy(client, supervisor, settings):
    settings.VIGIE_MAP_TILES_URL = "https://{a-c}.tiles.example.org/osm/{z}/{x}/{y}.png"
    client.force_login(supervisor)

    response, parts, config = read_page(client, PAGE)

    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]  # the API only: no socket, no other origin
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://*.tiles.example.org"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert config["tilesUrl"] == settings.VIGIE_MAP_TILES_URL
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
    assert "/static/vendor/openlayers/ol.js" in [s.get("src") for s in parts.scripts]


def test_every_script_and_stylesheet_exists_and_scripts_stay_short(client, supervisor):
    client.force_login(supervisor)

    _, parts, _ = read_page(client, PAGE)

    for url in [s["src"] for s in parts.scripts if "src" in s] + parts.stylesheets:
        path = finders.find(url.removeprefix(django_settings.STATIC_URL))
        assert path, url
        if url.startswith("/static/notifications/"):
            with open(path, encoding="utf-8") as source:
                assert sum(1 for _ in source) <= SCRIPT_LINES_MAX, url


def test_english_on_request(client, supervisor):
    client.force_login(supervisor)

    _, parts, config = read_page(client, PAGE, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert (parts.html_lang, config["language"]) == ("en", "en")


def _keys(text: str) -> set[str]:
    return set(re.findall(r'^\s+"([a-zA-Z0-9_.-]+)":', text, re.MULTILINE))


def test_every_text_exists_in_both_languages_and_the_page_uses_only_known_ones(client):
    with open(finders.find("notifications/strings.js"), encoding="utf-8") as source:
        french, english = source.read().split("\n  en: {")
    assert _keys(french) == _keys(english)

    response = client.get(PAGE)
    used = set(re.findall(r'data-i18n="([^"]+)"', response.content.decode()))
    assert used <= _keys(french), used - _keys(french)


def test_only_get_and_head(client, supervisor):
    client.force_login(supervisor)

    assert client.post(PAGE).status_code == 405
    assert client.head(PAGE).status_code == 200
