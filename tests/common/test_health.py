"""/healthz answers 200 when the database, the channel layer and the broker answer, else 503.

"Down" is real here: each part is pointed at a closed local port, so the real client fails.
"""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from django.db import connection

from config.celery import app as celery_app

CLOSED = "127.0.0.1:1"  # nothing listens on port 1


@pytest.fixture
def client_(client, db):
    return client


def test_all_parts_up_is_200(client_):
    response = client_.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["parts"]) == {"database", "channel_layer", "broker"}
    assert all(part["status"] == "ok" for part in body["parts"].values())
    assert body["parts"]["database"]["postgis"].startswith("3.")
    # The tests run against the real Redis channel layer.
    assert body["parts"]["channel_layer"]["backend"] == "RedisPubSubChannelLayer"


def test_database_down_is_503(client_, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    response = client_.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["parts"]["database"]["status"] == "down"
    assert body["parts"]["channel_layer"]["status"] == "ok"


def test_channel_layer_down_is_503(client_, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://{CLOSED}/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client_.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["parts"]["channel_layer"]["status"] == "down"
    assert response.json()["parts"]["database"]["status"] == "ok"


@pytest.fixture
def real_broker(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def use(url):
        monkeypatch.setattr(celery_app.conf, "broker_url", url)

    return use


def test_broker_up_is_reported(client_, real_broker):
    real_broker("redis://127.0.0.1:6379/15")
    response = client_.get("/healthz")
    assert response.status_code == 200
    assert response.json()["parts"]["broker"] == {
        "status": "ok",
        "mode": "broker",
        "transport": "redis",
        "ms": response.json()["parts"]["broker"]["ms"],
    }


def test_broker_down_is_503_quickly(client_, real_broker):
    real_broker(f"redis://{CLOSED}/0")
    response = client_.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["parts"]["broker"]
    assert broker["status"] == "down"
    assert broker["ms"] < 10_000


def test_eager_mode_has_no_broker_to_lose(client_, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client_.get("/healthz")
    assert response.json()["parts"]["broker"]["mode"].startswith("eager")
