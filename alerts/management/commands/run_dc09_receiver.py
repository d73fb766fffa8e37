from __future__ import annotations

import asyncio
import json
import signal
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError

from alerts.dc09 import RELOAD_EVERY_S, Receiver
from common.errors import error_body


class Command(BaseCommand):
    """Not a JsonCommand: that one runs in one transaction, and a receiver runs for months.
    It keeps the same promise to scripts: JSON lines on stdout, the last one a summary (or
    `{"error": …}` and exit status 1), the logs on stderr."""

    help = (
        "Run the SIA DC-09 receiver (SIA-DCS and ADM-CID, plain or AES) for alarm panels and "
        'buttons. Prints {"listening": "HOST:PORT"} once bound; stops on SIGTERM or SIGINT.'
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument(
            "--port", type=int, required=True, help="TCP port; 0 takes any free one (printed)"
        )
        parser.add_argument(
            "--reload-every",
            type=float,
            default=RELOAD_EVERY_S,
            help="seconds between two readings of the DC-09 accounts from the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535 or options["reload_every"] <= 0:
            self._fail("invalid", "--port must be within 0-65535 and --reload-every positive")
        receiver = Receiver(options["host"], options["port"], reload_every=options["reload_every"])
        try:
            summary = asyncio.run(self._serve(receiver))
        except OSError as exc:  # the port is taken, the address is not ours...
            self._fail("cannot_listen", f"{options['host']}:{options['port']}: {exc.strerror}")
        except Exception as exc:  # the database is unreachable at start, say
            self._fail("internal_error", f"{type(exc).__name__}: {exc}", cause=exc)
        self._line(summary)

    async def _serve(self, receiver: Receiver) -> dict[str, Any]:
        await receiver.start()
        self._line({"listening": receiver.address, "accounts": len(receiver.accounts)})
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await receiver.stop()
        return {"stopped": receiver.address, **receiver.counts}

    def _line(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))
        self.stdout.flush()  # read by a supervisor or a test through a pipe, line by line

    def _fail(self, code: str, message: str, cause: Exception | None = None) -> NoReturn:
        self._line(error_body(code, message))
        raise CommandError(message) from cause
