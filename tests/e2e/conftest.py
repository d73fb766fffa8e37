"""A real browser (Debian's Chromium, driven by Playwright) against a real daphne."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

from tests.factories import database_url_for_servers

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic is refused by a closed network; keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page():
    """A fresh browser page. Playwright's sync API runs an event loop in this thread while it is
    open, so a test builds its rows in fixtures requested *before* `page`, never while the
    browser is open (the ORM would refuse, or open a second connection in that context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def daphne_server(transactional_db):
    """`make run`'s server, daphne in its own process, on the test database.

    The test's rows are committed (transactional_db), so the server sees them; stopping the
    process ends its database sessions before the test database is dropped.
    """
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_servers(),
        "DJANGO_DEBUG": "1",
        "VIGIE_MAP_TILES_URL": f"http://127.0.0.1:{port}/no-tiles/{{z}}/{{x}}/{{y}}.png",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310 - our own server
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(server.stdout.read().decode()) from None
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)
