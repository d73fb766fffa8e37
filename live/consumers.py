"""The operator console's WebSocket: every event of the centres served, in order, none lost.

On connect the consumer joins its centres' groups *before* reading where each centre stands,
then replays from the Event table whatever the console missed (`?since=`), then goes live.
Every frame it sends is checked against the last `seq` sent for its centre: an event already
sent (replayed, then arriving live) is dropped, and a jump (a frame the channel layer dropped,
or two commits broadcast out of order) is filled from the table first. So the console sees
each centre's events exactly once, in order, whatever the channel layer does.

Every frame a person sends (here and on the police socket) first passes `GuardedSocket`:
a frame budget against floods, a size and nesting limit, and a check that the sign-in the
socket was opened with still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.crypto import constant_time_compare
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError

from accounts.sessions import session_lapsed
from common.errors import DomainError, error_body
from common.parsers import check_depth
from live.actions import run_action
from live.queries import console_centre_ids, events_after, latest_seqs
from live.services import centre_group

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's): the console page shows what each means.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_BAD_SINCE = 4400
CLOSE_NO_PONG = 4408
CLOSE_FLOODED = 4429
CLOSE_TOO_BIG = 1009  # RFC 6455: "message too big"


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


# --- what every socket a person holds open must resist: floods, huge frames, stale sign-ins -----


class FrameBudget:
    """A token bucket per connection: `rate` frames a second, `burst` at once.

    Past the budget frames are dropped; a client that keeps sending regardless (another
    `burst` frames beyond the budget, i.e. the bucket `burst` deep in debt) is flooding and the
    socket is closed. A client that slows down to `rate` recovers on its own.
    """

    OK, DROP, CLOSE = "ok", "drop", "close"

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> str:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        if self.tokens >= 0:
            return self.OK
        return self.CLOSE if self.tokens < -self.burst else self.DROP


def session_still_signs_in(session_key: str | None, user_id: int) -> bool:
    """The session this socket was opened with still exists, has not expired or lapsed (shift
    over, left idle: accounts.sessions), still names this user (not signed out, not another
    sign-in) and the user is still active with the same password. Read fresh from the session
    store: the socket's own copy of the session never changes."""
    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user_id) or session_lapsed(data) is not None:
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    session_hash = data.get(HASH_SESSION_KEY)
    return bool(
        user is not None
        and session_hash
        and constant_time_compare(session_hash, user.get_session_auth_hash())
    )


def token_still_signs_in(token: str, user_id: int) -> bool:
    """The app token is still valid (not revoked, not expired) for this active user."""
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
    except (AuthenticationFailed, UnicodeError):
        return False
    return user.pk == user_id


class GuardedSocket(AsyncWebsocketConsumer):
    """Checks run on every frame a person's socket receives, before it is parsed: the
    connection's frame budget (4429 when flooded), the frame's size (1009 past
    `VIGIE_WS_FRAME_MAX_BYTES`; daphne's own ceiling is 1 MiB) and nesting, then whether the
    sign-in it was opened with still holds (4401), which is also checked every
    `VIGIE_WS_AUTH_CHECK_S` while the socket is silent."""

    error_type = "socket.error"
    signed_in_user_id: int | None = None
    session_key: str | None = None
    token: str | None = None

    def start_guard(self, user_id: int, *, token: str | None = None) -> None:
        """Call once signed in; the session comes from the scope unless a token signed in."""
        self.signed_in_user_id = user_id
        self.token = token
        if token is None:
            session = self.scope.get("session")
            self.session_key = getattr(session, "session_key", None) if session else None
        self.watcher = asyncio.create_task(self._watch_credentials())

    def stop_guard(self) -> None:
        watcher = getattr(self, "watcher", None)
        if watcher:
            watcher.cancel()

    async def frame_allowed(self, text_data: str | None, bytes_data: bytes | None) -> bool:
        budget = getattr(self, "budget", None)
        if budget is None:
            budget = self.budget = FrameBudget(
                settings.VIGIE_WS_FRAMES_PER_S, settings.VIGIE_WS_FRAMES_BURST
            )
        verdict = budget.take()
        if verdict == FrameBudget.CLOSE:
            await self.close(code=CLOSE_FLOODED)
            return False
        if verdict == FrameBudget.DROP:
            if not getattr(self, "told_throttled", False):  # once per flood, not once a frame
                self.told_throttled = True
                await self._send_error("throttled", "Too many frames; some were dropped.")
            return False
        self.told_throttled = False
        raw = text_data.encode("utf-8", "surrogatepass") if text_data else (bytes_data or b"")
        if len(raw) > settings.VIGIE_WS_FRAME_MAX_BYTES:
            await self._send_error("too_large", "Frame too large.")
            await self.close(code=CLOSE_TOO_BIG)
            return False
        try:
            check_depth(raw)
        except ParseError as exc:
            await self._send_error("malformed", str(exc.detail))
            return False
        if self.signed_in_user_id is not None and not await self._still_signed_in():
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return False
        return True

    async def _still_signed_in(self) -> bool:
        user_id = self.signed_in_user_id
        if user_id is None:
            return False
        if self.token is not None:
            return await database_sync_to_async(token_still_signs_in)(self.token, user_id)
        return await database_sync_to_async(session_still_signs_in)(self.session_key, user_id)

    async def _watch_credentials(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(settings.VIGIE_WS_AUTH_CHECK_S)
                if not await self._still_signed_in():
                    await self.close(code=CLOSE_NOT_SIGNED_IN)
                    return

    async def _send_error(self, code: str, message: str) -> None:
        await self.send(
            text_data=json.dumps({"type": self.error_type, "code": code, "message": message})
        )


class ConsoleConsumer(GuardedSocket):
    error_type = "console.error"
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
        self.start_guard(user.pk)

    async def disconnect(self, code: int) -> None:
        self.stop_guard()
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
        if not hasattr(self, "sent") or not await self.frame_allowed(text_data, bytes_data):
            return  # refused at connect (closing), or the frame was refused
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
