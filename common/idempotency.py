"""`Idempotency-Key` for every POST that creates something (API.md, Conventions).

The record is inserted in the same transaction as the work it guards. Two identical retries
racing each other meet on the unique index: the second waits for the first to commit, fails
its insert, and answers with the first one's response. Nothing is created twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from common.errors import InvalidInput, RuleBroken
from common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def sender_of(request: Request) -> str:
    """Who is retrying: the user, else the device (set by device auth), else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    device = getattr(request, "device", None)
    if device is not None:
        return f"device:{device.pk}"
    # The same client address the throttles use, so it is right behind a reverse proxy too.
    return f"anon:{BaseThrottle().get_ident(request)}"


def _fingerprint(request: Request) -> str:
    """What the request asks for: the parsed fields and the uploaded files' bytes.

    Built from the parsed request rather than the raw body, so a multipart upload is read
    from its spooled files in chunks instead of being held in memory twice.
    """
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict: form fields, possibly several per name
        fields = sorted(
            (key, str(value))
            for key, values in data.lists()
            for value in values
            if not hasattr(value, "read")
        )
        digest.update(json.dumps(fields).encode())
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"{name}:{upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise RuleBroken(
            f"This {HEADER} was already used for a different request.",
            code="idempotency_key_reused",
        )
    return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a DRF view's `post`: same key, same sender, within the window → same answer."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidInput(
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
                code="invalid_idempotency_key",
            )
        sender, fingerprint = sender_of(request), _fingerprint(request)
        window_start = timezone.now() - settings.IDEMPOTENCY_WINDOW
        IdempotencyRecord.objects.filter(
            sender=sender, key=key, created_at__lt=window_start
        ).delete()
        record = IdempotencyRecord.objects.filter(sender=sender, key=key).first()
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    sender=sender, key=key, fingerprint=fingerprint, status_code=0, body={}
                )
                response = handler(view, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Refused(response)
                record.status_code, record.body = response.status_code, response.data
                record.save(update_fields=["status_code", "body"])
                return response
        except _Refused as refused:
            return refused.response
        except IntegrityError:
            # A twin request committed first (we waited on its index entry); answer as it did.
            twin = IdempotencyRecord.objects.filter(sender=sender, key=key).first()
            if twin is None:
                raise
            return _replay(twin, fingerprint)

    return wrapper
