"""The operator console's WebSocket: every event of the centres served, in order, none lost.

On connect the consumer joins its centres' groups *before* reading where each centre stands,
then replays from the Event table whatever the console missed (`?since=`), then goes live.
Every frame it sends is checked against the last `seq` sent for its centre: an event already
sent (replayed, then arriving live) is dropped, and a jump (a frame the channel layer dropped,
or two commits broadcast out of order) is filled from the table first. So the console sees
each centre's events exactly once, in order, whatever the channel layer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from common.errors import DomainError, error_body
from live.actions import run_action
from live.queries import console_centre_ids, events_after, latest_seqs
from live.services import centre_group

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's): the console page shows what each means.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_BAD_SINCE = 4400
CLOSE_NO_PONG = 4408


def parse_since(raw: str | None, centre_ids: list[int]) -> dict[int, int]:
    """`?since=42` (one centre) or `?since=3:42,7:18` (one position per centre served)."""
    if not raw:
        return {}
    if ":" not in raw:
        if len(centre_ids) != 1:
            raise ValueError("give one position per centre: since=3:42,7:18")
        return {centre_ids[0]: _seq(raw)}
    positions = {}
    for part in raw.split(","):
        centre, _, seq = part.partition(":")
        centre_id = int(centre)
        if centre_id not in centre_ids:
            raise ValueError(f"centre {centre_id} is not one you serve")
        positions[centre_id] = _seq(seq)
    return positions


def _seq(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("seq cannot be negative")
    return value


class ConsoleConsumer(AsyncWebsocketConsumer):
    ping_every_s: float = 15.0
    dead_after_s: float = 30.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()  # so the refusals below carry their close code
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.user = user
        self.centre_ids = await database_sync_to_async(console_centre_ids)(user)
        if not self.centre_ids:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            since = parse_since((query.get("since") or [""])[0], self.centre_ids)
        except ValueError as exc:
            await self._send_json({"type": "console.error", "message": str(exc)})
            await self.close(code=CLOSE_BAD_SINCE)
            return
        # Join first, then read where each centre stands: an event committed meanwhile is
        # either at or below `latest` (replayed) or arrives live; the seq check drops the twin.
        for centre_id in self.centre_ids:
            await self.channel_layer.group_add(centre_group(centre_id), self.channel_name)
        latest = await database_sync_to_async(latest_seqs)(self.centre_ids)
        await self._send_json(
            {
                "type": "console.hello",
                "user": user.username,
                "centres": [{"id": c, "seq": latest[c]} for c in self.centre_ids],
            }
        )
        self.sent: dict[int, int] = {}
        for centre_id in self.centre_ids:
            self.sent[centre_id] = min(since.get(centre_id, latest[centre_id]), latest[centre_id])
            await self._replay(centre_id, until=latest[centre_id])
        self.last_heard = asyncio.get_running_loop().time()
        self.pinger = asyncio.create_task(self._keep_alive())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "pinger", None):
            self.pinger.cancel()
        for centre_id in getattr(self, "centre_ids", []):
            await self.channel_layer.group_discard(centre_group(centre_id), self.channel_name)

    # --- from the channel layer ----------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes old database connections before every handler, a trip through the
        # one shared sync thread: for each frame to each console, it was most of the console's
        # cost (bench/console.py). A live frame touches the database only through
        # database_sync_to_async, which does that cleaning itself.
        if message["type"] == "console.event":
            await self.console_event(message)
            return
        await super().dispatch(message)

    async def console_event(self, message: dict[str, Any]) -> None:
        centre_id, seq = message["centre"], message["seq"]
        last = self.sent.get(centre_id)
        if last is None or seq <= last:
            return  # not ours, or already sent (replayed)
        if seq > last + 1:
            await self._replay(centre_id, until=seq - 1)  # missed frames come from the table
        await self.send(text_data=message["frame"])
        self.sent[centre_id] = seq

    # --- from the console -------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        try:
            message = json.loads(text_data or "")
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self._send_json(
                {"type": "console.error", "message": 'Expected JSON with a "type".'}
            )
            return
        if kind == "pong":
            return
        if kind == "replay":
            await self._replay_from(message.get("since"))
        elif kind == "action":
            await self._act(message)
        else:
            await self._send_json({"type": "console.error", "message": f"Unknown type {kind!r}."})

    async def _replay_from(self, since: Any) -> None:
        """The page saw a gap: send again everything after what it holds."""
        try:
            positions = {int(c): _seq(str(s)) for c, s in (since or {}).items()}
        except (ValueError, AttributeError, TypeError):
            await self._send_json({"type": "console.error", "message": "Bad replay position."})
            return
        for centre_id, seq in positions.items():
            if centre_id in self.sent:
                self.sent[centre_id] = min(self.sent[centre_id], seq)
                await self._replay(centre_id, until=None)

    async def _act(self, message: dict[str, Any]) -> None:
        request_id = message.get("request_id")
        try:
            data = await database_sync_to_async(run_action)(
                str(message.get("action")), self.user, message
            )
        except DomainError as exc:
            reply = {"ok": False, **error_body(exc.code, exc.message, exc.fields)}
        except Exception:
            log.exception("console action %r failed", message.get("action"))
            reply = {"ok": False, **error_body("server_error", "The action failed; it is logged.")}
        else:
            reply = {"ok": True, "data": data}
        await self._send_json({"type": "action.result", "request_id": request_id, **reply})

    # --- helpers ----------------------------------------------------------------------------------

    async def _replay(self, centre_id: int, *, until: int | None) -> None:
        while until is None or self.sent[centre_id] < until:
            events = await database_sync_to_async(events_after)(
                centre_id, self.sent[centre_id], until=until
            )
            if not events:
                return
            for event in events:
                await self._send_json(event.as_frame())
                self.sent[centre_id] = event.seq

    async def _keep_alive(self) -> None:
        """Ping the page; a page that stays silent past `dead_after_s` is closed."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(self.ping_every_s)
                if loop.time() - self.last_heard > self.dead_after_s:
                    await self.close(code=CLOSE_NO_PONG)
                    return
                await self._send_json({"type": "ping"})

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, cls=DjangoJSONEncoder))
