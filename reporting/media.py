"""Uploaded media, checked on their bytes and cleaned before they are stored.

A photo is decoded and re-encoded by Pillow, which keeps the pixels and the orientation and
drops everything else (GPS position, camera serial, owner name, XMP, comments): a resident's
photo must not carry where they live. Videos and audio are kept as sent, after their type has
been recognised from their first bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError
from rest_framework import status

from common.errors import DomainError, InvalidInput

ORIENTATION_TAG = 0x0112

# Detected type -> (kind, extension). What a phone or a browser records, nothing else.
ACCEPTED = {
    "image/jpeg": ("photo", "jpg"),
    "image/png": ("photo", "png"),
    "image/webp": ("photo", "webp"),
    "video/mp4": ("video", "mp4"),
    "video/quicktime": ("video", "mov"),
    "video/webm": ("video", "webm"),
    "audio/mpeg": ("audio", "mp3"),
    "audio/mp4": ("audio", "m4a"),
    "audio/ogg": ("audio", "ogg"),
    "audio/x-wav": ("audio", "wav"),
    "audio/amr": ("audio", "amr"),
}
_KIND_OF_CLAIM = {"image": "photo", "video": "video", "audio": "audio"}
_GENERIC_CLAIMS = {"", "application/octet-stream"}
_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Markup a browser would run if a media URL were ever served as HTML: a "polyglot" is a valid
# photo or video that is also a page. Photos are re-encoded anyway, which drops such a payload;
# videos and recordings are kept as sent, so this is their guard. Only markers of 7 bytes or
# more: the random-looking bytes of a compressed 25 MB video hold one by chance about once in
# ten million files.
_MARKUP = re.compile(
    rb"<script|<iframe|<object|<embed[\s>]|<!doctype\s+html|javascript:|onload=|onerror="
    rb"|<\?php\s",
    re.IGNORECASE,
)


class UnsupportedMedia(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media"


class MediaTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "media_too_large"


@dataclass(frozen=True)
class CheckedMedia:
    """A file that passed every check, ready to store: its bytes are the cleaned ones."""

    kind: str
    content_type: str
    extension: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def storage_name(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


def check_uploads(files: list[UploadedFile]) -> list[CheckedMedia]:
    """Check every file before anything is stored, so a bad one leaves nothing behind."""
    if len(files) > settings.VIGIE_MEDIA_MAX_FILES:
        raise InvalidInput(
            f"At most {settings.VIGIE_MEDIA_MAX_FILES} files per report.",
            code="too_many_files",
            fields={"media": [f"at most {settings.VIGIE_MEDIA_MAX_FILES} files"]},
        )
    return [check_upload(f) for f in files]


def check_upload(upload: UploadedFile) -> CheckedMedia:
    name = upload.name or "file"
    if (upload.size or 0) > settings.VIGIE_MEDIA_MAX_BYTES:
        raise MediaTooLarge(
            f"{name} is {upload.size} bytes; the limit is {settings.VIGIE_MEDIA_MAX_BYTES}.",
            fields={"media": [f"{name}: too large"]},
        )
    upload.seek(0)
    head = upload.read(8192)
    detected = filetype.guess_mime(head)
    if detected not in ACCEPTED:
        raise UnsupportedMedia(
            f"{name} is not a photo (JPEG, PNG, WebP), video (MP4, MOV, WebM) or recording "
            "(MP3, M4A, Ogg, WAV, AMR).",
            fields={"media": [f"{name}: unrecognised content"]},
        )
    kind, extension = ACCEPTED[detected]
    claimed = (upload.content_type or "").split(";")[0].strip().lower()
    if claimed not in _GENERIC_CLAIMS and _KIND_OF_CLAIM.get(claimed.split("/")[0]) != kind:
        raise UnsupportedMedia(
            f"{name} claims to be {claimed} but its content is {detected}.",
            fields={"media": [f"{name}: content does not match {claimed}"]},
        )
    upload.seek(0)
    content = upload.read()
    if _MARKUP.search(content):
        raise UnsupportedMedia(
            f"{name} is a {detected} file that also carries web page markup.",
            fields={"media": [f"{name}: carries markup (polyglot file)"]},
        )
    if kind == "photo":
        content = strip_photo_metadata(content, detected, name)
    return CheckedMedia(kind=kind, content_type=detected, extension=extension, content=content)


def strip_photo_metadata(content: bytes, content_type: str, name: str = "photo") -> bytes:
    """Re-encode the photo keeping only its pixels, colour profile and EXIF orientation."""
    try:
        with Image.open(io.BytesIO(content)) as probe:
            # The declared size first: a few hundred bytes can declare a 30,000² image
            # (a decompression bomb) that verify() or load() would start inflating.
            _check_pixels(probe, name)
            probe.verify()  # structure check, before decoding the pixels
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            kept = Image.Exif()
            orientation = image.getexif().get(ORIENTATION_TAG)
            if orientation is not None:
                kept[ORIENTATION_TAG] = orientation
            options: dict = {"exif": kept.tobytes()}
            if image.info.get("icc_profile"):
                options["icc_profile"] = image.info["icc_profile"]
            pillow_format = _PILLOW_FORMAT[content_type]
            clean: Image.Image = image
            if pillow_format == "JPEG":
                if image.mode not in ("RGB", "L", "CMYK"):
                    clean = image.convert("RGB")
                options.update(quality=92, optimize=True)
            out = io.BytesIO()
            clean.save(out, format=pillow_format, **options)
            return out.getvalue()
    except Image.DecompressionBombError as exc:  # beyond even Pillow's own ceiling
        raise MediaTooLarge(
            f"{name} declares more pixels than a photo can have.",
            fields={"media": [f"{name}: too many pixels"]},
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMedia(
            f"{name} could not be read as a {content_type} image.",
            fields={"media": [f"{name}: not a readable image"]},
        ) from exc


def _check_pixels(image: Image.Image, name: str) -> None:
    if image.width * image.height > settings.VIGIE_PHOTO_MAX_PIXELS:
        raise MediaTooLarge(
            f"{name} has {image.width}×{image.height} pixels; the limit is "
            f"{settings.VIGIE_PHOTO_MAX_PIXELS}.",
            fields={"media": [f"{name}: too many pixels"]},
        )
