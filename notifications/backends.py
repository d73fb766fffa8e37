"""Where pushes go: Firebase Cloud Messaging (firebase-admin), or the log.

`FIREBASE_CREDENTIALS` (a service-account JSON file) turns FCM on; without it the log backend
records what would have been sent, and every PushMessage row shows it in the admin.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

# How an FCM error is treated: drop the token, or try again later.
DROP = "drop"
RETRY = "retry"


@dataclass(frozen=True)
class Push:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    high_priority: bool = False


@dataclass(frozen=True)
class Outcome:
    ok: bool
    provider_id: str = ""
    action: str = ""  # DROP or RETRY when not ok
    error: str = ""


class LogBackend:
    name = "log"

    def send(self, pushes: list[Push]) -> list[Outcome]:
        for push in pushes:
            log.info("push (log backend) to …%s: %s — %s", push.token[-8:], push.title, push.body)
        return [Outcome(ok=True, provider_id="logged") for _ in pushes]


class FcmBackend:
    """firebase-admin's `send_each`: one HTTP v1 request per message, 500 per call at most."""

    name = "fcm"

    def __init__(self, credentials_path: str, endpoint: str = "") -> None:
        import firebase_admin
        from firebase_admin import credentials, messaging

        self.messaging = messaging
        certificate = credentials.Certificate(credentials_path)
        # One named app per process; a new backend (new settings) replaces it.
        with contextlib.suppress(ValueError):
            firebase_admin.delete_app(firebase_admin.get_app("vigie"))
        # A bounded HTTP timeout, so one batch (with the SDK's own retries) ends well within
        # the outbox's claim (five minutes).
        self.app = firebase_admin.initialize_app(
            certificate,
            {"projectId": certificate.project_id, "httpTimeout": 10},
            name="vigie",
        )
        if endpoint:
            # A closed network reaches FCM through its own gateway (or an emulator): the SDK has
            # no public setting for the endpoint, so its service's URL is set here, once.
            service = messaging._get_messaging_service(self.app)
            service._fcm_url = endpoint.format(project_id=certificate.project_id)

    def _message(self, push: Push) -> Any:
        messaging = self.messaging
        priority = "high" if push.high_priority else "normal"
        return messaging.Message(
            token=push.token,
            notification=messaging.Notification(title=push.title, body=push.body),
            data=push.data,
            android=messaging.AndroidConfig(priority=priority),
            apns=messaging.APNSConfig(
                headers={"apns-priority": "10" if push.high_priority else "5"}
            ),
        )

    def _fresh_token(self) -> None:
        """One access token for the batch: send_each's threads would each fetch their own."""
        import google.auth.exceptions
        import google.auth.transport.requests
        from firebase_admin import exceptions

        credential = self.app.credential.get_credential()
        if credential.valid:
            return
        try:
            credential.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.GoogleAuthError as error:
            raise exceptions.UnavailableError(f"access token: {error}", cause=error) from error

    def send(self, pushes: list[Push]) -> list[Outcome]:
        from firebase_admin import exceptions

        messaging = self.messaging
        if not pushes:
            return []
        try:
            self._fresh_token()
            batch = messaging.send_each([self._message(p) for p in pushes], app=self.app)
        except exceptions.FirebaseError as error:  # the whole call failed: all try again
            return [Outcome(ok=False, action=RETRY, error=str(error)[:500]) for _ in pushes]
        outcomes = []
        for response in batch.responses:
            if response.success:
                outcomes.append(Outcome(ok=True, provider_id=response.message_id or ""))
                continue
            failure = response.exception
            dead_token = isinstance(
                failure,
                messaging.UnregisteredError
                | messaging.SenderIdMismatchError
                | exceptions.InvalidArgumentError,
            )
            outcomes.append(
                Outcome(ok=False, action=DROP if dead_token else RETRY, error=str(failure)[:500])
            )
        return outcomes


_lock = threading.Lock()


@cache
def _backend() -> LogBackend | FcmBackend:
    if settings.FIREBASE_CREDENTIALS:
        return FcmBackend(settings.FIREBASE_CREDENTIALS, settings.VIGIE_FCM_ENDPOINT)
    return LogBackend()


def backend() -> LogBackend | FcmBackend:
    """The process's backend, made once (two threads at once would make two FCM apps)."""
    with _lock:
        return _backend()


backend.cache_clear = _backend.cache_clear  # type: ignore[attr-defined]
