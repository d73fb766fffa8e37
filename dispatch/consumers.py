"""The police app's WebSocket (`/ws/police/`): its unit's dispatches, and its positions back.

Signed in by the session (the web app), or by the app token in the query (`?token=`) or in the
first frame (`{"type": "auth", "token": …}`, which keeps it out of access logs). On sign-in the
app is sent its units and their live interventions from the database, then every change as it
happens; a frame lost on the way costs only a moment, since the next hello reads the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.gis.geos import Point
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from accounts.models import Role, User
from common.errors import DomainError, InvalidInput, error_body
from common.geojson import parse_point
from dispatch import queries, services
from dispatch.payloads import intervention_payload, unit_position_payload
from dispatch.realtime import unit_group
from live.actions import id_in
from live.consumers import GuardedSocket

log = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NO_PONG = 4408
AUTH_WITHIN_S = 10.0


def user_for_token(token: str) -> User | None:
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
    except (AuthenticationFailed, UnicodeError):
        return None
    return user


def hello_for(user: User) -> dict[str, Any]:
    units = list(queries.units_visible_to(user).order_by("callsign"))
    current = [intervention_payload(i) for i in queries.current_interventions_of(user)]
    return {
        "type": "police.hello",
        "user": user.username,
        "units": [unit_position_payload(unit) for unit in units],
        "interventions": current,
    }


def _moment(raw: Any) -> datetime | None:
    """An aware datetime in UTC, or None. In UTC because PostgreSQL refuses offsets beyond
    ±15:59 (a 500 otherwise), and a well-formed but impossible date is no date."""
    try:
        moment = parse_datetime(str(raw or ""))
        return moment.astimezone(UTC) if moment and moment.tzinfo else None
    except (ValueError, OverflowError):
        return None


def _record_position(user: User, message: dict[str, Any]) -> dict[str, Any]:
    unit = queries.unit_for_user(user, id_in(message, "unit"))
    recorded_at = _moment(message.get("recorded_at"))
    if recorded_at is None:
        raise InvalidInput(fields={"recorded_at": ["ISO 8601 with a UTC offset"]})
    try:
        location: Point = parse_point(message.get("location"))
    except ValidationError as exc:
        raise InvalidInput(fields={"location": [str(d) for d in exc.detail]}) from None
    accuracy = message.get("accuracy_m")
    if accuracy is not None and (not isinstance(accuracy, int | float) or accuracy < 0):
        raise InvalidInput(fields={"accuracy_m": ["a number of metres"]})
    services.record_position(
        unit, location=location, recorded_at=recorded_at, accuracy_m=accuracy, by=user
    )
    return {"recorded": True}


def _transition(user: User, message: dict[str, Any]) -> dict[str, Any]:
    intervention = queries.intervention_for_user(user, id_in(message, "intervention"))
    intervention = services.transition_intervention(
        intervention,
        to=str(message.get("to") or ""),
        by=user,
        outcome=str(message.get("outcome") or ""),
        note=str(message.get("note") or "")[:2000],
    )
    return intervention_payload(intervention)


ACTIONS = {"position": _record_position, "transition": _transition}


class PoliceConsumer(GuardedSocket):
    error_type = "police.error"
    ping_every_s: float = 15.0
    dead_after_s: float = 30.0

    async def connect(self) -> None:
        await self.accept()
        self.user: User | None = None
        self.groups_joined: list[str] = []
        user = self.scope.get("user")
        token = (parse_qs(self.scope.get("query_string", b"").decode()).get("token") or [""])[0]
        if token:
            user = await database_sync_to_async(user_for_token)(token)
            if user is None:
                await self.close(code=CLOSE_NOT_SIGNED_IN)
                return
        # A session of someone else (an operator signed in on the same browser) is not a
        # refusal: the police app may still send its token in the first frame.
        if user is not None and user.is_authenticated and (token or user.role == Role.POLICE):
            await self._sign_in(user, token=token or None)
        else:
            self.waiting = asyncio.create_task(self._close_unless_signed_in())

    async def _close_unless_signed_in(self) -> None:
        await asyncio.sleep(AUTH_WITHIN_S)
        if self.user is None:
            await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def _sign_in(self, user: User, *, token: str | None) -> None:
        if user.role != Role.POLICE:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        self.user = user
        # Whichever credential signed in must keep holding: a revoked token or a signed-out
        # session closes the socket (GuardedSocket).
        self.start_guard(user.pk, token=token)
        hello = await database_sync_to_async(hello_for)(user)
        for unit in hello["units"]:
            group = unit_group(unit["id"])
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self._send_json(hello)
        self.last_heard = asyncio.get_running_loop().time()
        self.pinger = asyncio.create_task(self._keep_alive())

    async def disconnect(self, code: int) -> None:
        self.stop_guard()
        for task in (getattr(self, "pinger", None), getattr(self, "waiting", None)):
            if task:
                task.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def police_frame(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["frame"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Before signing in too: an anonymous socket may not flood or send huge frames either.
        if not await self.frame_allowed(text_data, bytes_data):
            return
        try:
            message = json.loads(text_data or "")
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self._send_json(
                {"type": "police.error", "message": 'Expected JSON with a "type".'}
            )
            return
        if kind == "auth" and self.user is not None:
            return  # signed in by the session already: the app's token frame changes nothing
        if self.user is None:
            if kind == "auth" and isinstance(message.get("token"), str):
                token = message["token"][:200]
                user = await database_sync_to_async(user_for_token)(token)
                if user is not None:
                    await self._sign_in(user, token=token)
                    return
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.last_heard = asyncio.get_running_loop().time()
        if kind == "pong":
            return
        if kind not in ACTIONS:
            await self._send_json({"type": "police.error", "message": f"Unknown type {kind!r}."})
            return
        await self._act(kind, message)

    async def _act(self, kind: str, message: dict[str, Any]) -> None:
        try:
            data = await database_sync_to_async(ACTIONS[kind])(self.user, message)
        except DomainError as exc:
            reply = {"ok": False, **error_body(exc.code, exc.message, exc.fields)}
        except Exception:
            log.exception("police action %r failed", kind)
            reply = {"ok": False, **error_body("server_error", "The action failed; it is logged.")}
        else:
            reply = {"ok": True, "data": data}
        await self._send_json(
            {"type": "police.result", "request_id": message.get("request_id"), **reply}
        )

    async def _keep_alive(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(self.ping_every_s)
                if loop.time() - self.last_heard > self.dead_after_s:
                    await self.close(code=CLOSE_NO_PONG)
                    return
                await self._send_json({"type": "ping", "at": datetime.now().astimezone()})

    async def _send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, cls=DjangoJSONEncoder))
