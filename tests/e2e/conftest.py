"""A real browser (Debian's Chromium, driven by Playwright) against a real server."""

from __future__ import annotations

import pytest

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
def page(monkeypatch):
    """A fresh browser page. Playwright's sync API runs an event loop in this thread while it is
    open, so the test's own synchronous ORM calls must be allowed for that time; it is closed
    before the test database is flushed."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
