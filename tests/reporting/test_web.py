"""The resident web app's page: served with a strict CSP, settings as data, nothing inline."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

from common.csp import tiles_source
from tests.pages import csp_of, read_page

pytestmark = pytest.mark.django_db


def _page(client, **headers):
    return read_page(client, "/app/", **headers)


def test_page_is_served_with_a_strict_content_security_policy(client, settings):
    settings.VIGIE_MAP_TILES_URL = "https://tiles.example.org/osm/{z}/{x}/{y}.png"

    response, _, _ = _page(client)

    assert response["Content-Type"].startswith("text/html")
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example.org"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert "geolocation=(self)" in response["Permissions-Policy"]


def test_page_has_no_inline_script_or_style_and_only_local_assets(client):
    _, parts, _ = _page(client)

    code = [s for s in parts.scripts if s.get("type") != "application/json"]
    assert [s["src"] for s in code] == [
        "/static/vendor/openlayers/ol.js",
        "/static/resident/strings.js",
        "/static/resident/app.js",
        "/static/resident/broadcasts.js",
        "/static/resident/mydata.js",
    ]
    assert all(not s["text"].strip() for s in code)
    assert parts.stylesheets == ["/static/vendor/openlayers/ol.css", "/static/resident/app.css"]
    assert parts.style_attributes == 0
    assert parts.style_elements == 0
    for asset in [*parts.stylesheets, *(s["src"] for s in code)]:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_tile_url_and_limits_are_rendered_as_data_for_the_script(client, settings, paris):
    settings.VIGIE_MAP_TILES_URL = "https://tiles.example.org/osm/{z}/{x}/{y}.png"
    settings.VIGIE_MAX_ACCURACY_M = 300

    _, _, config = _page(client)

    assert config["tilesUrl"] == "https://tiles.example.org/osm/{z}/{x}/{y}.png"
    assert config["maxAccuracyM"] == 300
    assert config["maxFiles"] == settings.VIGIE_MEDIA_MAX_FILES
    assert config["api"] == {
        "token": "/api/v1/auth/token/",
        "categories": "/api/v1/categories/",
        "reports": "/api/v1/reports/",
        "broadcasts": "/api/v1/broadcasts/",
        "me": "/api/v1/me/",
        "export": "/api/v1/me/export/",
    }
    # Before a position fix the map shows the area the centres cover: here, Paris.
    west, south, east, north = config["defaultExtent"]
    assert 2.2 < west < east < 2.5
    assert 48.8 < south < north < 48.95


def test_without_any_centre_the_map_opens_on_france(client):
    _, _, config = _page(client)

    assert config["defaultExtent"] == [-5.2, 41.3, 9.6, 51.1]


def test_page_is_french_by_default_and_english_when_the_browser_prefers_it(client):
    response, parts, config = _page(client)
    assert parts.html_lang == config["language"] == "fr"
    assert "Accept-Language" in response["Vary"]

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5")
    assert parts.html_lang == config["language"] == "en"

    _, parts, config = _page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert parts.html_lang == config["language"] == "fr"


@pytest.mark.parametrize(
    ("tiles_url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{a-c}.tiles.example.org/{z}/{x}/{y}.png", "https://*.tiles.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("//tiles.example.org/{z}/{x}/{y}.png", "tiles.example.org"),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_tile_origin_becomes_the_one_image_source_allowed_besides_the_site(tiles_url, source):
    assert tiles_source(tiles_url) == source


def test_tile_url_that_would_break_the_policy_is_refused(client, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.VIGIE_MAP_TILES_URL = "https://tiles.example.org; script-src *;/{z}/{x}/{y}.png"

    with pytest.raises(ImproperlyConfigured):
        client.get("/app/")


def test_page_only_answers_reads(client):
    assert client.post("/app/").status_code == 405
