"""Oversized and deeply nested bodies are refused before anything parses or hashes them."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.asgi import get_asgi_application
from django.test import Client

from accounts.models import User
from alerts.models import SeenSignature
from common.parsers import json_depth, loads_strictly
from config.asgi import application
from reporting.models import Report
from tests.factories import post_signed

TOKEN_URL = "/api/v1/auth/token/"
TRIGGER_URL = "/api/v1/alerts/trigger/"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response.json()["error"]["code"] == code


# --- size ---------------------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_too_large(api, db, settings):
    body = json.dumps({"username": "x" * (settings.VIGIE_JSON_MAX_BYTES + 10), "password": "p"})
    assert_error(api.post(TOKEN_URL, body, content_type="application/json"), 413, "too_large")


def test_a_body_at_the_limit_reaches_the_view(api, db, settings):
    settings.VIGIE_JSON_MAX_BYTES = 4096
    body = json.dumps({"username": "x" * 3000, "password": "p"})
    response = api.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400  # the view's own answer: no such account / too long
    assert response.json()["error"]["code"] != "too_large"


def test_the_declared_length_is_refused_without_reading_the_body(client, db, settings):
    settings.VIGIE_JSON_MAX_BYTES = 4096
    # A Content-Length far beyond what is sent: a body reader would block or read garbage.
    response = client.generic(
        "POST", TOKEN_URL, b"{}", content_type="application/json", CONTENT_LENGTH="99999999"
    )
    assert_error(response, 413, "too_large")


def test_a_form_body_on_the_api_has_the_same_limit(client, db, settings):
    settings.VIGIE_JSON_MAX_BYTES = 4096
    response = client.post(
        "/open311/v2/requests.json",
        urlencode({"description": "x" * 5000, "api_key": "k"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    # …in the façade's own error shape, which Open311 clients read.
    assert response.json() == [
        {"code": 413, "description": "The request body is too large; the limit is 4096 bytes."}
    ]


def test_an_open311_xml_client_is_refused_in_xml(client, db, settings):
    settings.VIGIE_JSON_MAX_BYTES = 4096
    response = client.post(
        "/open311/v2/requests.xml",
        urlencode({"description": "x" * 5000, "api_key": "k"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/xml")
    assert b"<errors><error><code>413</code>" in response.content


def test_a_multipart_body_beyond_what_its_files_may_weigh_is_413(as_user, resident, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.models import Attachment

    settings.VIGIE_MEDIA_MAX_FILES, settings.VIGIE_MEDIA_MAX_BYTES = 1, 1024
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"x" * 1_200_000, "image/jpeg")
    response = as_user(resident).post(
        "/api/v1/reports/", {"category": "fight", "media": [upload]}, format="multipart"
    )
    assert_error(response, 413, "too_large")
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()


def test_a_malformed_content_length_is_400(client, db):
    response = client.generic(
        "POST", TOKEN_URL, b"{}", content_type="application/json", CONTENT_LENGTH="lots"
    )
    assert_error(response, 400, "malformed")


class _Chunked:
    """An ASGI exchange as daphne makes it for `Transfer-Encoding: chunked`: no Content-Length,
    the body in several `http.request` messages."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.messages = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if self.messages:
            return self.messages.pop(0)
        await asyncio.sleep(3600)  # the client stays connected while we answer
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    async def post(self, path: str) -> tuple[int, dict]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"localhost"),
                (b"content-type", b"application/json"),
                (b"transfer-encoding", b"chunked"),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("localhost", 80),
        }
        await get_asgi_application()(scope, self.receive, self.send)
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return start["status"], json.loads(body)


def test_a_chunked_body_without_length_is_measured_and_refused(db, settings):
    settings.VIGIE_JSON_MAX_BYTES = 4096
    chunks = [b'{"username": "'] + [b"x" * 1000] * 10 + [b'", "password": "p"}']
    status, body = async_to_sync(_Chunked(chunks).post)(TOKEN_URL)
    assert status == 413
    assert body["error"]["code"] == "too_large"


def test_a_small_chunked_body_passes(db, settings):
    status, body = async_to_sync(_Chunked([b"[", b"]"]).post)(TOKEN_URL)
    assert status != 413


# --- nesting ------------------------------------------------------------------------------------


def test_nesting_past_the_limit_is_400_before_parsing(api, db, settings):
    body = nested(settings.VIGIE_JSON_MAX_DEPTH + 1)
    response = api.post(TOKEN_URL, body, content_type="application/json")
    assert_error(response, 400, "malformed")
    assert "nested" in response.json()["error"]["message"]


def test_nesting_at_the_limit_is_parsed(api, db, settings):
    body = json.dumps({"username": json.loads(nested(settings.VIGIE_JSON_MAX_DEPTH - 1))})
    response = api.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in response.json()["error"]["message"]


def test_a_million_brackets_are_refused_quickly(api, db):
    import time

    body = "[" * 200_000  # unbalanced too: the scan must not care
    started = time.perf_counter()
    response = api.post(TOKEN_URL, body, content_type="application/json")
    assert_error(response, 400, "malformed")
    assert time.perf_counter() - started < 1.0


def test_resident_enrolment_with_deep_geometry_creates_nobody(api, paris, settings):
    location = "[" * 40 + "]" * 40
    body = (
        '{"username": "camille", "password": "a-long-passphrase", "email": "c@example.org", '
        f'"address_location": {{"type": "Point", "coordinates": {location}}}}}'
    )
    assert_error(
        api.post("/api/v1/residents/", body, content_type="application/json"), 400, "malformed"
    )
    assert not User.objects.filter(username="camille").exists()


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[[[[[[[[[[[[[[[[[["}', 1),  # brackets inside a string do not count
        (r'{"a": "\"[[[[[[", "b": [[]]}', 3),  # nor after an escaped quote
        ('"unterminated [[[[[[[[[', 0),
        ("]]]]", 0),
        ("", 0),
    ],
)
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text) == depth


def test_json_depth_stays_linear_on_hostile_strings():
    import time

    hostile = '"' + '\\"' * 200_000  # one unterminated string full of escaped quotes
    started = time.perf_counter()
    assert json_depth(hostile) == 0
    assert json_depth('"a' * 200_000) == 0
    assert time.perf_counter() - started < 1.0


def test_loads_strictly_refuses_deep_documents_too(settings):
    from rest_framework.exceptions import ParseError

    with pytest.raises(ParseError, match="nested"):
        loads_strictly(nested(settings.VIGIE_JSON_MAX_DEPTH + 1))


# --- device endpoints: the HMAC check hashes the raw body -----------------------------------------


def test_an_oversized_signed_body_is_refused_before_the_signature_check(api, button, settings):
    body = json.dumps({"kind": "panic", "pad": "x" * (settings.VIGIE_JSON_MAX_BYTES + 1)}).encode()
    assert_error(post_signed(api, TRIGGER_URL, button, body), 413, "too_large")
    assert not Report.objects.exists()
    assert not SeenSignature.objects.exists()


def test_a_deeply_nested_signed_body_is_refused(api, button, settings):
    body = ('{"kind": "panic", "pad": ' + nested(settings.VIGIE_JSON_MAX_DEPTH + 5) + "}").encode()
    assert_error(post_signed(api, TRIGGER_URL, button, body), 400, "malformed")
    assert not Report.objects.exists()


# --- WebSocket frames -----------------------------------------------------------------------------


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _socket(path: str, user) -> WebsocketCommunicator:
    cookie = await sync_to_async(_session_cookie)(user)
    headers = [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={cookie}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_from(3)  # hello
    return communicator


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(("path", "who"), [("/ws/console/", "operator"), ("/ws/police/", "unit")])
async def test_a_frame_over_the_size_limit_closes_the_socket(request, settings, path, who):
    user = await sync_to_async(request.getfixturevalue)(who)
    user = user if isinstance(user, User) else await sync_to_async(lambda: user.members.first())()
    communicator = await _socket(path, user)
    frame = json.dumps({"type": "pong", "pad": "x" * settings.VIGIE_WS_FRAME_MAX_BYTES})
    await communicator.send_to(text_data=frame)
    refusal = json.loads(await communicator.receive_from(3))
    assert refusal["code"] == "too_large"
    assert (await communicator.receive_output(3))["code"] == 1009
    await communicator.disconnect()
