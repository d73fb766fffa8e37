"""Security headers on every page, as the person who uses it sees it, and production's HTTPS-only
cookies and HSTS (issue 9, item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management.utils import get_random_secret_key
from django.test import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD
from tests.pages import PageParts, csp_of

pytestmark = pytest.mark.django_db

TILES = "https://{a-c}.tiles.example.org/osm/{z}/{x}/{y}.png"
TILES_SOURCE = "https://*.tiles.example.org"

# Every HTML page, with who opens it (None: before sign-in) and what it may add to the default.
# Every admin page may load the tiles, for the map widget of geometry fields.
PAGES = [
    ("/console/", "operator", {"img-src": TILES_SOURCE, "connect-src": "ws://testserver"}),
    ("/console/", None, {"img-src": TILES_SOURCE, "connect-src": "ws://testserver"}),
    ("/console/figures/", "supervisor", {}),
    ("/console/broadcast/", "supervisor", {"img-src": TILES_SOURCE}),
    ("/police/", None, {"connect-src": "ws://testserver"}),
    ("/shop/", None, {}),
    ("/app/", None, {"img-src": TILES_SOURCE}),
    ("/admin/login/", None, {"img-src": TILES_SOURCE}),
    ("/admin/", "admin_user", {"img-src": TILES_SOURCE}),
    ("/admin/accounts/monitoringcentre/", "admin_user", {"img-src": TILES_SOURCE}),
    ("/admin/accounts/monitoringcentre/{paris}/change/", "admin_user", {"img-src": TILES_SOURCE}),
    ("/api/docs/", None, {}),
    ("/no-such-page/", None, {}),
]


def _verified(client, user) -> None:
    """Signed in with a confirmed authenticator, as the admin (django-otp's site) requires."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def assert_strict_headers(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    return csp


@pytest.mark.parametrize(("path", "who", "added"), PAGES)
def test_every_page_has_a_strict_policy_and_nothing_inline(
    client, request, settings, paris, path, who, added
):
    settings.VIGIE_MAP_TILES_URL = TILES
    if who == "admin_user":
        _verified(client, request.getfixturevalue(who))
    elif who:
        client.force_login(request.getfixturevalue(who))

    response = client.get(path.format(paris=paris.pk))

    assert response.status_code == (404 if path == "/no-such-page/" else 200)
    assert response["Content-Type"].startswith("text/html")
    csp = assert_strict_headers(response)
    # Only what the page needs on top of the default: the tiles, its own socket.
    assert csp["img-src"] == ["'self'", "data:", "blob:", *filter(None, [added.get("img-src")])]
    assert csp["connect-src"] == ["'self'", *filter(None, [added.get("connect-src")])]
    parts = PageParts()
    parts.feed(response.content.decode())
    assert parts.inline_anything == 0
    for script in parts.scripts:
        if script.get("type") != "application/json":
            assert script.get("src"), f"inline script on {path}"
            assert not script["text"].strip()


def test_the_admin_map_widget_starts_from_data_not_inline_code(client, admin_user, paris, settings):
    settings.VIGIE_MAP_TILES_URL = TILES
    _verified(client, admin_user)

    response = client.get(f"/admin/accounts/monitoringcentre/{paris.pk}/change/")

    parts = PageParts()
    parts.feed(response.content.decode())
    options = next(s for s in parts.scripts if s.get("id") == "id_jurisdiction_vigie_map")
    assert json.loads(options["text"])["tiles_url"] == TILES
    assert "/static/common/map_widget.js" in [s.get("src") for s in parts.scripts]


def test_the_api_docs_script_is_served_from_a_url(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/categories/", "/api/v1/no-such-thing/", "/healthz"])
def test_json_answers_carry_the_strict_default_too(client, path):
    response = client.get(path)

    assert response["Content-Type"].startswith("application/json")
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]


def test_the_debug_404_page_is_the_one_page_without_a_policy(client, settings):
    # Django's DEBUG 404 page has inline style; django-csp leaves DEBUG 404s and 500s alone.
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Content-Security-Policy" not in response


# --- production settings ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_settings() -> dict:
    """What config/settings.py says with DJANGO_DEBUG=0, read in a process of its own."""
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
    ]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": get_random_secret_key(),
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed command
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_are_https_only(production_settings):
    assert production_settings["DEBUG"] is False
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True
    assert production_settings["SESSION_COOKIE_HTTPONLY"] is True
    assert production_settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production_settings["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_in_production_a_sign_in_sets_secure_cookies_under_hsts(
    client, operator, production_settings
):
    device = TOTPDevice.objects.create(user=operator, name="phone", confirmed=True)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    with override_settings(**{k: v for k, v in production_settings.items() if k != "DEBUG"}):
        page = client.get("/console/", secure=True)
        response = client.post(
            "/api/v1/auth/session/",
            {"username": "operator", "password": PASSWORD, "otp": f"{code:06d}"},
            content_type="application/json",
            secure=True,
        )

    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.status_code == 200, response.content
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_in_production_plain_http_is_redirected_except_the_health_check(
    client, production_settings
):
    with override_settings(**{k: v for k, v in production_settings.items() if k != "DEBUG"}):
        page = client.get("/console/")
        health = client.get("/healthz")

    assert page.status_code == 301
    assert page["Location"] == "https://testserver/console/"
    assert health.status_code in (200, 503)  # answered, not redirected
    assert "Strict-Transport-Security" not in health  # HSTS is only sent over HTTPS
