"""The periodic scans, for the one-machine default where no `celery beat` runs.

`make run` starts this beside daphne. It runs the very schedule `celery -A config beat` would
send to the workers in production (config/settings.py, CELERY_BEAT_SCHEDULE), each task in this
process at its own interval; running both is harmless, since every scan claims its rows.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from config.celery import app

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic scans (CELERY_BEAT_SCHEDULE) in this process until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every scan once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        app.loader.import_default_modules()  # registers every app's tasks
        schedule = {
            entry["task"]: float(entry["schedule"])
            for entry in settings.CELERY_BEAT_SCHEDULE.values()
        }
        due = dict.fromkeys(schedule, 0.0)
        while not stop.is_set():
            for name, interval in schedule.items():
                if time.monotonic() < due[name]:
                    continue
                due[name] = time.monotonic() + interval
                try:
                    found = app.tasks[name].run()
                except Exception:  # a dead database must not end the loop: try again next time
                    log.exception("scan %s failed", name)
                else:
                    if found:
                        log.warning("scan %s: %s", name, found)
            if options["once"]:
                return
            close_old_connections()  # nothing held while waiting; a dead one is replaced
            stop.wait(max(min(due.values()) - time.monotonic(), 0.2))
