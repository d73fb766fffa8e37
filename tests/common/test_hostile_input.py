"""Input meant to break the server gets a clear 4xx in the contract's shape, never a 500."""

from __future__ import annotations

import json

import pytest

from accounts.models import User

URL = "/api/v1/residents/"


def enrolment(location):
    return json.dumps(
        {
            "username": "camille",
            "password": "a-long-passphrase",
            "email": "camille@example.org",
            "phone": "+33 6 12 34 56 78",
            "full_name": "Camille Martin",
            "address": "Paris",
            "address_location": "__LOCATION__",
        }
    ).replace('"__LOCATION__"', location)


@pytest.mark.parametrize(
    ("location", "status"),
    [
        ('{"type": "Point", "coordinates": [' + "9" * 400 + ", 48.8]}", 400),
        ('{"type": "Point", "coordinates": [2.35, 1e999]}', 400),
        ('{"type": "Point", "coordinates": [NaN, 48.8]}', 400),
        ('{"type": "Point", "coordinates": [true, false]}', 400),
        ('{"type": "Point", "coordinates": [2.35, 48.8], "type": "LineString"}', 400),
        ("[" * 100_000 + "]" * 100_000, 400),
    ],
    ids=["huge-int", "overflowing-float", "nan", "booleans", "duplicate-key", "deep-nesting"],
)
def test_hostile_geometry_is_a_4xx(api, paris, location, status):
    response = api.post(URL, enrolment(location), content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()
    assert not User.objects.filter(username="camille").exists()


@pytest.mark.parametrize("charset", ["rot13", "zlib", "utf-16", "latin-1"])
def test_json_that_is_not_utf8_is_415(api, paris, charset):
    response = api.post(
        URL,
        enrolment('{"type": "Point", "coordinates": [2.35, 48.85]}'),
        content_type=f"application/json; charset={charset}",
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_path_without_its_slash_is_a_json_404_not_a_redirect(api, db):
    response = api.post("/api/v1/auth/token", {"username": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_404_is_json_even_under_debug(client, db, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_refuses_other_methods_in_json(client, db, method):
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_healthz_answers_head(client, db):
    assert client.head("/healthz").status_code == 200


def test_healthz_does_not_tell_strangers_where_things_are(client, db, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://secret-host.internal:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert "secret-host" not in response.content.decode()
