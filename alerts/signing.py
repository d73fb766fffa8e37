"""Signed device requests (API.md, Alert buttons and call points).

A device sends `X-Device-Id`, `X-Timestamp` (Unix seconds) and `X-Signature`, the hex
HMAC-SHA256 of `"{timestamp}.{raw body}"` keyed with its secret. A request is refused (401,
audited, nothing created) when it is unsigned, from an unknown or revoked device, more than
`VIGIE_DEVICE_CLOCK_SKEW_S` (300 s) from our clock either way, badly signed, or a replay of a
request already accepted.

The answer says only "refused" except for clock errors, which a genuine device needs to know
about to fix itself (it gets our time in `X-Server-Time`): telling an attacker whether an id
exists or which check failed would help them; the audit row keeps the precise reason.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from alerts.models import Device, RefusedDeviceRequest, SeenSignature
from common.errors import DomainError

log = logging.getLogger(__name__)

HEADERS = ("X-Device-Id", "X-Timestamp", "X-Signature")
AUDITED_REFUSALS_PER_MINUTE = 120


class DeviceRefused(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "device_refused"
    message = "This device request is refused: unsigned, badly signed, replayed or not allowed."

    def __init__(self, reason: str, *, device: Device | None = None, message: str = "") -> None:
        super().__init__(message or None)
        self.reason, self.device = reason, device
        self.headers = {"X-Server-Time": str(int(time.time()))}


class ClockSkew(DeviceRefused):
    code = "clock_skew"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature a device computes (also used by the tests and the benchmark)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(device: Device, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "X-Device-Id": str(device.pk),
        "X-Timestamp": str(timestamp),
        "X-Signature": sign(device.secret, timestamp, body),
    }


def record_refusal(
    *,
    reason: str,
    claimed_device: str = "",
    device: Device | None = None,
    channel: str = "http",
    path: str = "",
    remote_address: str | None = None,
) -> None:
    """Write the audit row of a refused device request, committed whatever happens next.

    At most AUDITED_REFUSALS_PER_MINUTE rows per address and minute: a flood of junk from one
    address must not fill the table; the overflow is counted in the log instead.
    """
    if remote_address:
        key = f"device-refusals:{remote_address}:{int(time.time() // 60)}"
        cache.add(key, 0, timeout=120)
        if cache.incr(key) > AUDITED_REFUSALS_PER_MINUTE:
            log.warning(
                "refused device request from %s not audited (flood): %s", remote_address, reason
            )
            return
    with transaction.atomic():
        RefusedDeviceRequest.objects.create(
            reason=reason,
            claimed_device=claimed_device[:40],
            device=device,
            channel=channel,
            path=path[:200],
            remote_address=remote_address,
        )


def verify(
    *, device_id: str | None, timestamp: str | None, signature: str | None, body: bytes
) -> Device:
    """The device that signed this request, or DeviceRefused with the precise reason.

    The signature is checked before it is remembered, so nobody can block a genuine request
    by sending its signature first; the remembering insert is what makes a replay lose, even
    when both copies arrive at the same moment.
    """
    if not (device_id and timestamp and signature):
        raise DeviceRefused("unsigned")
    known_shape = device_id.isascii() and device_id.isdigit() and len(device_id) < 19
    device = Device.objects.filter(pk=int(device_id)).first() if known_shape else None
    if device is None:
        raise DeviceRefused("unknown_device")
    if not device.active:
        raise DeviceRefused("revoked", device=device)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 12):
        raise DeviceRefused("bad_timestamp", device=device)
    sent_at = int(timestamp)
    skew = sent_at - time.time()
    if abs(skew) > settings.VIGIE_DEVICE_CLOCK_SKEW_S:
        raise ClockSkew(
            "future_timestamp" if skew > 0 else "stale_timestamp",
            device=device,
            message=(
                f"X-Timestamp is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the "
                f"server's clock (at most {settings.VIGIE_DEVICE_CLOCK_SKEW_S} s); see "
                "X-Server-Time."
            ),
        )
    expected = sign(device.secret, timestamp, body)
    if not (signature.isascii() and hmac.compare_digest(expected, signature.strip().lower())):
        raise DeviceRefused("bad_signature", device=device)
    try:
        with transaction.atomic():
            SeenSignature.objects.create(device=device, signature=expected)
    except IntegrityError:
        raise DeviceRefused("replayed", device=device) from None
    return device


def client_address(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class DeviceSignatureAuthentication(BaseAuthentication):
    """DRF authentication for device endpoints: sets `request.device`, leaves no user."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        headers = request.headers
        try:
            device = verify(
                device_id=headers.get("X-Device-Id"),
                timestamp=headers.get("X-Timestamp"),
                signature=headers.get("X-Signature"),
                body=request._request.body,
            )
        except DeviceRefused as refused:
            record_refusal(
                reason=refused.reason,
                claimed_device=headers.get("X-Device-Id") or "",
                device=refused.device,
                path=request.path,
                remote_address=client_address(request),
            )
            raise
        request.device = device
        return (AnonymousUser(), device)

    def authenticate_header(self, request: Request) -> str:
        return 'HMAC-SHA256 realm="vigie-devices"'


class DeviceRateThrottle(SimpleRateThrottle):
    """Per device, not per address: many buttons may share one mobile network's address."""

    scope = "device"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        device = getattr(request, "device", None)
        if device is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": device.pk}
