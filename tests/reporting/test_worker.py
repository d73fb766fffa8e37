"""Eager Celery is not a test of a worker (STYLE.md rule 15): a real worker, a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from kombu import pools

from cameras.models import CameraLink
from config.celery import app
from reporting.tasks import link_cameras
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    camera_at,
    database_url_for_servers,
    file_report,
    moved,
)

BROKER = "redis://127.0.0.1:6379/9"


def _use_broker(**conf):
    """Point the app at another broker, dropping the connections pooled for the old one (an
    earlier test may have published through them)."""
    app.conf.update(**conf)
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps its own process-wide producer pools, keyed by broker: one of them may now
    # hold closed connections, which a later test's `.delay()` would be handed.
    pools.reset()


@pytest.fixture
def worker(transactional_db):
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _use_broker(broker_url=BROKER, task_always_eager=False)
    # Before the worker starts: flushing later would also drop the queue bindings it declared.
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # no task left over from another run
    env = {**os.environ, "DATABASE_URL": database_url_for_servers(), "CELERY_BROKER_URL": BROKER}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    _use_broker(**saved)
    process.terminate()
    process.wait(timeout=20)


def test_a_real_worker_links_a_report_through_redis(worker, paris, resident):
    camera = camera_at(paris, moved(PARIS_HOTEL_DE_VILLE, 30, 0), "PP-9", kind="dome")
    report = file_report(resident)  # commits; its own eager on_commit link is not what we test
    CameraLink.objects.filter(report=report).delete()

    link_cameras.delay(report.pk)

    deadline = time.monotonic() + 30
    while not CameraLink.objects.filter(report=report).exists():
        assert worker.poll() is None, worker.stdout.read().decode()
        if time.monotonic() > deadline:
            worker.terminate()
            pytest.fail("the worker never linked the report:\n" + worker.communicate()[0].decode())
        time.sleep(0.2)
    assert list(CameraLink.objects.filter(report=report).values_list("camera", flat=True)) == [
        camera.pk
    ]
