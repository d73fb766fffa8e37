"""`/healthz`: is each part Vigie depends on answering? 200 when all are, 503 otherwise.

Load balancers and the city's monitoring poll this; each probe is bounded in time so a dead
dependency makes the answer "down", never a hung request. The answer names the part and the
kind of failure; the details (hosts, users) go to the log, not to whoever asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2


def check_database() -> dict[str, Any]:
    # A direct connection with short timeouts, not one from the pool: a pool would wait its
    # whole checkout timeout on a dead server, and the question is whether the server answers.
    params = connection.get_connection_params()
    params["connect_timeout"] = PROBE_TIMEOUT_S
    params["options"] = f"-c statement_timeout={PROBE_TIMEOUT_S * 1000}"
    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        (postgis,) = cursor.fetchone()
    return {"postgis": postgis}


def _redis_ping(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=PROBE_TIMEOUT_S
    )
    try:
        client.ping()
    finally:
        client.close()


def check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()
    backend = type(layer).__name__
    hosts = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts")
    if hosts:
        # A PING, not a message round trip: the pub/sub layer keeps a subscription per
        # channel it receives on, so a probe every few seconds would pile them up.
        for host in hosts:
            _redis_ping(host if isinstance(host, str) else host["address"])
        return {"backend": backend}

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        await layer.receive(channel)

    async def bounded() -> None:
        await asyncio.wait_for(round_trip(), PROBE_TIMEOUT_S)

    async_to_sync(bounded)()
    return {"backend": backend}


def check_broker() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager (tasks run in-process; no broker configured)"}
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_S)
    return {"mode": "broker", "transport": app.conf.broker_url.split("://", 1)[0]}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


def run_checks() -> tuple[bool, dict[str, Any]]:
    parts: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:
            log.warning("health: %s is down: %s", name, exc)
            parts[name] = {"status": "down", "error": type(exc).__name__}
        else:
            parts[name] = {"status": "ok", **detail}
        parts[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(part["status"] == "ok" for part in parts.values())
    return healthy, parts


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, parts = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "down", "parts": parts}, status=200 if healthy else 503
    )
