"""A local stand-in for Google's OAuth2 token endpoint and the FCM HTTP v1 API.

The real firebase-admin SDK talks to it over HTTP: it trades a JWT signed with a test
service-account key (generated here) for an access token at `/token`, then POSTs one request
per message to `/v1/projects/<project>/messages:send`. The server checks the JWT's signature
and the bearer token, records every send, and answers each registration token as scripted
(`FakeFcm.script`), with the error bodies FCM documents:

    {"error": {"code": 404, "message": "...", "status": "NOT_FOUND",
               "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED"}]}}

`stop()` closes the port (the endpoint is down); `start()` opens the same port again.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass(frozen=True)
class Reply:
    """What the server answers one send: 200 with a message name, or an FCM error."""

    status: int = 200
    rpc_status: str = ""  # google.rpc status name, in the error body
    fcm_code: str = ""  # FcmError.errorCode detail, when FCM gives one
    message: str = ""

    def body(self, name: str) -> dict[str, Any]:
        if self.status == 200:
            return {"name": name}
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "status": self.rpc_status,
        }
        if self.fcm_code:
            error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": self.fcm_code}]
        return {"error": error}


OK = Reply()
UNREGISTERED = Reply(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
INVALID_ARGUMENT = Reply(
    400,
    "INVALID_ARGUMENT",
    "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
)
UNAVAILABLE = Reply(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.")
INTERNAL = Reply(500, "INTERNAL", "INTERNAL", "Internal error encountered.")
QUOTA_EXCEEDED = Reply(
    429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded for the sending rate."
)


@dataclass(frozen=True)
class Send:
    """One HTTP v1 send request as the server received it, and what it answered."""

    path: str
    authorization: str
    headers: dict[str, str]
    message: dict[str, Any]
    status: int
    name: str  # the message name answered (200 only)
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str:
        return self.message.get("token", "")


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # send_each opens up to 500 connections at once


class FakeFcm:
    def __init__(self, project_id: str = "vigie-test") -> None:
        self.project_id = project_id
        self.client_email = f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sends: list[Send] = []
        self.token_grants: list[dict[str, Any]] = []  # the verified JWT claims of each grant
        self.issued: list[str] = []  # access tokens handed out
        # Per registration token, replies consumed in order; the last one then repeats.
        self.script: dict[str, list[Reply]] = {}
        self._message_ids = itertools.count(1)
        # Stalled sends are recorded unanswered (status 0) and hang until `release()`, then
        # the connection closes with no answer: FCM never accepted them.
        self._released = threading.Event()
        self._released.set()
        self._stall_left: int | None = None
        self.token_delay = 0.0  # seconds the token endpoint takes, as over a real network
        self._lock = threading.Condition()  # guards the records; notified on each send
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- what the test configures -----------------------------------------------------

    @property
    def token_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def endpoint(self) -> str:
        """VIGIE_FCM_ENDPOINT: the backend fills `{project_id}` in."""
        return f"http://127.0.0.1:{self.port}/v1/projects/{{project_id}}/messages:send"

    def write_service_account(self, path: Path) -> Path:
        """A service-account JSON as the Firebase console gives it, for our key and port."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": self.project_id,
                    "private_key_id": "0123456789abcdef",
                    "private_key": pem,
                    "client_email": self.client_email,
                    "client_id": "100000000000000000001",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": self.token_uri,
                }
            ),
            encoding="utf-8",
        )
        return path

    def answer(self, token: str, *replies: Reply) -> None:
        self.script[token] = list(replies)

    def stall(self, count: int | None = None) -> None:
        """Hang the next `count` sends (every send if None) until `release()`."""
        with self._lock:
            self._stall_left = count
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    # --- what the test reads ------------------------------------------------------------

    def tokens_sent(self) -> list[str]:
        return [send.token for send in self.sends]

    def wait_for_sends(self, count: int, timeout: float = 30) -> bool:
        """Wait until the server has received `count` sends in all."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.sends) >= count, timeout)

    def delivered(self) -> list[str]:
        """Tokens FCM accepted (answered 200), one entry per acceptance."""
        return [send.token for send in self.sends if send.status == 200]

    # --- the server ---------------------------------------------------------------------

    def start(self) -> FakeFcm:
        server = _Server(("127.0.0.1", self.port), _handler(self))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port: connections are refused until `start()`."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def _stalls(self) -> bool:
        with self._lock:
            if self._released.is_set() or self._stall_left == 0:
                return False
            if self._stall_left is not None:
                self._stall_left -= 1
            return True

    def _reply_for(self, token: str) -> Reply:
        with self._lock:
            replies = self.script.get(token)
            if not replies:
                return OK
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != [JWT_BEARER] or len(form.get("assertion", [])) != 1:
            return 400, {"error": "unsupported_grant_type"}
        header, payload, signature = form["assertion"][0].encode().split(b".")
        try:
            self._key.public_key().verify(
                _b64url(signature),
                header + b"." + payload,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return 400, {"error": "invalid_grant", "error_description": "bad signature"}
        claims = json.loads(_b64url(payload))
        time.sleep(self.token_delay)
        if claims.get("iss") != self.client_email or claims["exp"] < time.time():
            return 400, {"error": "invalid_grant", "error_description": "bad claims"}
        with self._lock:
            self.token_grants.append(claims)
            access_token = f"ya29.fake-{len(self.issued) + 1}"
            self.issued.append(access_token)
        return 200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}

    def _send(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any] | None:
        if path != f"/v1/projects/{self.project_id}/messages:send":
            return 404, {"error": {"code": 404, "message": path, "status": "NOT_FOUND"}}
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.issued:
            return 401, {
                "error": {"code": 401, "message": "bad token", "status": "UNAUTHENTICATED"}
            }
        message = body.get("message", {})
        if self._stalls():
            self._record(path, headers, message, status=0, name="")
            self._released.wait()
            return None
        with self._lock:
            reply = self._reply_for(message.get("token", ""))
            name = f"projects/{self.project_id}/messages/{next(self._message_ids)}"
        self._record(path, headers, message, reply.status, name if reply.status == 200 else "")
        return reply.status, reply.body(name)

    def _record(
        self, path: str, headers: dict[str, str], message: dict[str, Any], status: int, name: str
    ) -> None:
        with self._lock:
            self.sends.append(
                Send(
                    path=path,
                    authorization=headers.get("authorization", ""),
                    headers=headers,
                    message=message,
                    status=status,
                    name=name,
                )
            )
            self._lock.notify_all()


def _handler(fake: FakeFcm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a stopped server leaves no live
        # keep-alive connection behind that could still answer.
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {key.lower(): value for key, value in self.headers.items()}
            if self.path == "/token":
                result = fake._grant(parse_qs(raw.decode()))
            else:
                result = fake._send(self.path, headers, json.loads(raw))
            if result is None:
                return  # stalled, then dropped: the connection closes unanswered
            status, answer = result
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
