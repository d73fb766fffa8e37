"""`/healthz`: is each part Vigie depends on answering? 200 when all are, 503 otherwise.

Load balancers and the city's monitoring poll this; each probe is bounded in time so a dead
dependency makes the answer "down", never a hung request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

PROBE_TIMEOUT_S = 2.0


def check_database() -> dict[str, Any]:
    # A direct connection with a short timeout, not one from the pool: a pool would wait its
    # whole checkout timeout on a dead server, and the question is whether the server answers.
    params = connection.get_connection_params()
    params["connect_timeout"] = max(1, int(PROBE_TIMEOUT_S))
    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        (postgis,) = cursor.fetchone()
    return {"postgis": postgis}


def check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "health.ping":
            raise RuntimeError("channel layer returned another message")

    async def bounded() -> None:
        await asyncio.wait_for(round_trip(), PROBE_TIMEOUT_S)

    async_to_sync(bounded)()
    return {"backend": type(layer).__name__}


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
        except Exception as exc:  # noqa: BLE001 - any failure means this part is down
            parts[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            parts[name] = {"status": "ok", **detail}
        parts[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(part["status"] == "ok" for part in parts.values())
    return healthy, parts


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, parts = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "down", "parts": parts}, status=200 if healthy else 503
    )
