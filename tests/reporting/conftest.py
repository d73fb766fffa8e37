from __future__ import annotations

import io

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored_files(settings):
    def files():
        root = settings.MEDIA_ROOT
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files


@pytest.fixture
def nothing_stored(stored_files):
    """A check that a refused report left nothing behind: no row, no event, no file."""
    from live.models import Event
    from reporting.models import Attachment, Report

    def check():
        assert not Report.objects.exists()
        assert not Attachment.objects.exists()
        assert not Event.objects.exists()
        assert stored_files() == []

    return check


def jpeg_with_gps(orientation: int = 6) -> bytes:
    """A real JPEG carrying what a phone writes: orientation, GPS position, camera make."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 23.76), 3: "E", 4: (2.0, 21.0, 7.92)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def photo():
    return jpeg_with_gps()
