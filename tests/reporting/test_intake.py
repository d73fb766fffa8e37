"""POST /api/v1/reports/: a vetted member reports; bad input is refused and leaves nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from live.models import Event
from reporting.models import Report
from tests.factories import PARIS_HOTEL_DE_VILLE, point_json

URL = "/api/v1/reports/"


def body(**overrides):
    data = {
        "category": "fight",
        "description": "Two groups fighting outside the métro exit.",
        "location": point_json(PARIS_HOTEL_DE_VILLE),
        "accuracy_m": 8,
    }
    data.update(overrides)
    return data


def test_a_resident_report_is_stored_numbered_routed_and_announced(as_user, resident, paris):
    response = as_user(resident).post(URL, body(), format="json")

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    payload = response.json()
    assert payload["id"] == report.pk
    assert payload["reference"] == f"PAR-{report.created_at.year}-000001"
    assert payload["source"] == "resident"
    assert payload["category"] == "fight"
    assert payload["priority"] == "high"  # the category's default
    assert payload["status"] == "new"
    assert payload["centre"] == paris.pk
    assert payload["location"] == point_json(PARIS_HOTEL_DE_VILLE)
    assert payload["media"] == []
    assert payload["incident"] is None
    assert report.author == resident
    event = Event.objects.get()
    assert (event.centre, event.seq, event.type) == (paris, 1, "report.created")
    assert event.data["reference"] == payload["reference"]


def test_a_business_report_has_the_business_source(as_user, business):
    response = as_user(business).post(URL, body(), format="json")
    assert response.status_code == 201
    assert response.json()["source"] == "business"


def test_a_multipart_report_with_a_photo_keeps_only_its_orientation(
    as_user, resident, photo, stored_files
):
    upload = SimpleUploadedFile("IMG_0001.jpg", photo, content_type="image/jpeg")
    data = body(location='{"type": "Point", "coordinates": [2.3522, 48.8566]}', media=[upload])

    response = as_user(resident).post(URL, data, format="multipart")

    assert response.status_code == 201, response.json()
    media = response.json()["media"]
    assert [(m["kind"], m["content_type"]) for m in media] == [("photo", "image/jpeg")]
    (stored,) = stored_files()
    with Image.open(stored) as image:
        exif = image.getexif()
        assert exif.get(0x0112) == 6  # orientation kept
        assert 0x010F not in exif  # camera make gone
        assert not exif.get_ifd(0x8825)  # GPS position gone
        assert image.size == (64, 48)
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload really carried a position


def test_the_owner_downloads_the_photo_through_the_authorised_url(
    as_user, resident, other_resident, photo
):
    upload = SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")
    created = as_user(resident).post(
        URL,
        body(location=str(point_json(PARIS_HOTEL_DE_VILLE)).replace("'", '"'), media=[upload]),
        format="multipart",
    )
    url = created.json()["media"][0]["url"]

    mine = as_user(resident).get(url)
    assert mine.status_code == 200
    assert mine["Content-Type"] == "image/jpeg"
    assert b"".join(mine.streaming_content)[:3] == b"\xff\xd8\xff"
    assert as_user(other_resident).get(url).status_code == 404


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "status", "field"),
        [
            ({"location": {"type": "Point", "coordinates": [4.832, 45.7578]}}, 422, "location"),
            ({"location": {"type": "Point", "coordinates": [181, 48.8]}}, 400, "location"),
            ({"location": {"type": "Point", "coordinates": [2.35]}}, 400, "location"),
            (
                {"location": {"type": "LineString", "coordinates": [[2, 48], [3, 49]]}},
                400,
                "location",
            ),
            (
                {
                    "location": {
                        "type": "Point",
                        "coordinates": [2.35, 48.85],
                        "crs": {"type": "name"},
                    }
                },
                400,
                "location",
            ),
            ({"category": "alien_landing"}, 400, "category"),
            ({"accuracy_m": 5000}, 422, "accuracy_m"),
            ({"accuracy_m": -1}, 400, "accuracy_m"),
            ({"description": "x" * 2001}, 400, "description"),
            ({"occurred_at": "2999-01-01T00:00:00Z"}, 400, "occurred_at"),
            ({"occurred_at": "yesterday"}, 400, "occurred_at"),
        ],
    )
    def test_is_refused_with_its_status_and_field(
        self, as_user, resident, nothing_stored, overrides, status, field
    ):
        response = as_user(resident).post(URL, body(**overrides), format="json")
        assert response.status_code == status, response.json()
        assert field in response.json()["error"]["fields"]
        nothing_stored()

    def test_outside_every_jurisdiction_says_so(self, as_user, resident, nothing_stored):
        lyon = {"type": "Point", "coordinates": [4.832, 45.7578]}
        response = as_user(resident).post(URL, body(location=lyon), format="json")
        assert response.json()["error"]["code"] == "outside_jurisdiction"
        nothing_stored()

    def test_malformed_json_is_400(self, as_user, resident, nothing_stored):
        response = as_user(resident).post(URL, "{", content_type="application/json")
        assert response.status_code == 400
        nothing_stored()

    def test_media_too_large_is_413(self, as_user, resident, photo, settings, nothing_stored):
        settings.VIGIE_MEDIA_MAX_BYTES = len(photo) - 1
        upload = SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")
        response = as_user(resident).post(
            URL,
            body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=[upload]),
            format="multipart",
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "media_too_large"
        nothing_stored()

    @pytest.mark.parametrize(
        ("name", "content", "claimed"),
        [
            ("photo.jpg", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" * 20, "image/jpeg"),
            ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 100, "image/jpeg"),
            ("clip.mp4", b"<html><script>alert(1)</script></html>" * 10, "video/mp4"),
            ("voice.mp3", b"MZ\x90\x00" + b"\x00" * 500, "audio/mpeg"),
        ],
    )
    def test_media_whose_bytes_are_not_what_they_claim_is_415(
        self, as_user, resident, nothing_stored, name, content, claimed
    ):
        upload = SimpleUploadedFile(name, content, content_type=claimed)
        response = as_user(resident).post(
            URL,
            body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=[upload]),
            format="multipart",
        )
        assert response.status_code == 415, response.json()
        assert response.json()["error"]["code"] == "unsupported_media"
        nothing_stored()

    def test_a_real_photo_claiming_to_be_audio_is_415(
        self, as_user, resident, photo, nothing_stored
    ):
        upload = SimpleUploadedFile("voice.mp3", photo, content_type="audio/mpeg")
        response = as_user(resident).post(
            URL,
            body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=[upload]),
            format="multipart",
        )
        assert response.status_code == 415
        nothing_stored()

    def test_too_many_files_is_400(self, as_user, resident, photo, settings, nothing_stored):
        settings.VIGIE_MEDIA_MAX_FILES = 2
        uploads = [
            SimpleUploadedFile(f"{i}.jpg", photo, content_type="image/jpeg") for i in range(3)
        ]
        response = as_user(resident).post(
            URL,
            body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=uploads),
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_many_files"
        nothing_stored()

    def test_one_bad_file_among_good_ones_stores_none(
        self, as_user, resident, photo, nothing_stored
    ):
        uploads = [
            SimpleUploadedFile("good.jpg", photo, content_type="image/jpeg"),
            SimpleUploadedFile("bad.jpg", b"not an image at all" * 10, content_type="image/jpeg"),
        ]
        response = as_user(resident).post(
            URL,
            body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=uploads),
            format="multipart",
        )
        assert response.status_code == 415
        nothing_stored()


class TestWhoMayReport:
    @pytest.mark.parametrize(
        ("status", "code"),
        [("pending", "account_pending"), ("suspended", "account_suspended")],
    )
    def test_unapproved_members_get_403_saying_why(
        self, as_user, vetting_officer, nothing_stored, status, code
    ):
        from accounts import services
        from tests.factories import enrol

        member = enrol("applicant")
        if status == "suspended":
            services.approve_member(member, by=vetting_officer)
            services.suspend_member(member, by=vetting_officer, reason="abuse")
        response = as_user(member).post(URL, body(), format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == code
        nothing_stored()

    def test_a_revoked_member_token_no_longer_works(
        self, as_user, resident, vetting_officer, nothing_stored
    ):
        from accounts import services

        client = as_user(resident)
        services.revoke_member(resident, by=vetting_officer, reason="abuse")
        response = client.post(URL, body(), format="json")
        assert response.status_code == 401
        nothing_stored()

    @pytest.mark.parametrize("who", ["operator", "police_officer", "vetting_officer"])
    def test_staff_do_not_file_reports_as_members(self, as_user, request, who, nothing_stored):
        response = as_user(request.getfixturevalue(who)).post(URL, body(), format="json")
        assert response.status_code == 403
        nothing_stored()

    def test_anonymous_is_401(self, api, paris, nothing_stored):
        assert api.post(URL, body(), format="json").status_code == 401
        nothing_stored()

    def test_reports_are_throttled_per_member(self, as_user, resident, settings):
        from rest_framework.throttling import ScopedRateThrottle

        client = as_user(resident)
        rates = {**ScopedRateThrottle.THROTTLE_RATES, "reports": "3/hour"}
        ScopedRateThrottle.THROTTLE_RATES, saved = rates, ScopedRateThrottle.THROTTLE_RATES
        try:
            answers = [client.post(URL, body(), format="json").status_code for _ in range(4)]
        finally:
            ScopedRateThrottle.THROTTLE_RATES = saved
        assert answers == [201, 201, 201, 429]
        assert Report.objects.count() == 3


class TestRetries:
    def test_the_same_key_returns_the_first_report(self, as_user, resident):
        client = as_user(resident)
        first = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
        again = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert Report.objects.count() == 1
        assert Event.objects.count() == 1

    def test_a_multipart_retry_with_its_photo_creates_one_report(
        self, as_user, resident, photo, stored_files
    ):
        client = as_user(resident)

        def send():
            upload = SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")
            return client.post(
                URL,
                body(location='{"type":"Point","coordinates":[2.3522,48.8566]}', media=[upload]),
                format="multipart",
                HTTP_IDEMPOTENCY_KEY="photo-1",
            )

        first, again = send(), send()
        assert again.json() == first.json()
        assert Report.objects.count() == 1
        assert len(stored_files()) == 1

    def test_another_member_may_use_the_same_key(self, as_user, resident, other_resident):
        as_user(resident).post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
        other = as_user(other_resident).post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
        assert other.status_code == 201
        assert Report.objects.count() == 2
