"""The periodic scans, for the one-machine default where no `celery beat` runs.

`make run` starts this beside daphne. In production `celery -A config beat` sends the same
scans to the workers instead (config/settings.py, CELERY_BEAT_SCHEDULE); running both is
harmless, since every scan claims its rows.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from reporting.services.escalation import escalate_overdue

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic scans (escalation) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="scan once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            try:
                raised = escalate_overdue()
            except Exception:  # a dead database must not end the loop: try again next time
                log.exception("escalation scan failed")
            else:
                if raised:
                    log.warning("escalated reports %s", raised)
            if options["once"]:
                return
            close_old_connections()  # nothing held while waiting; a dead one is replaced
            stop.wait(settings.VIGIE_ESCALATION_SCAN_S)
