"""POST /api/v1/residents/: a resident applies; bad input gets a clear error and leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accounts.models import User, VettingDecision
from common.models import IdempotencyRecord

URL = "/api/v1/residents/"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "geojsonhint"


def application(**overrides):
    body = {
        "username": "camille",
        "password": "a-long-passphrase",
        "email": "camille@example.org",
        "phone": "+33 6 12 34 56 78",
        "full_name": "Camille Martin",
        "address": "1 place de l'Hôtel de Ville, 75004 Paris",
        "address_location": {"type": "Point", "coordinates": [2.3522, 48.8566]},
    }
    body.update(overrides)
    return body


def assert_nothing_stored():
    assert not User.objects.filter(username="camille").exists()
    # Every account has exactly its first decision: no orphan history was written.
    assert VettingDecision.objects.count() == User.objects.count()


def test_enrolment_is_pending_in_the_centre_covering_the_address(api, paris, saint_denis):
    response = api.post(URL, application(), format="json")

    assert response.status_code == 201
    resident = User.objects.get(username="camille")
    assert response.json() == {"id": resident.pk, "status": "pending", "centre": paris.pk}
    assert resident.role == "resident"
    assert resident.check_password("a-long-passphrase")
    assert list(resident.centres.all()) == [paris]
    assert resident.vetting_decisions.get().to_status == "pending"


def test_enrolment_across_the_border_goes_to_the_neighbouring_centre(api, paris, saint_denis):
    basilica = {"type": "Point", "coordinates": [2.3597, 48.9356]}
    response = api.post(URL, application(address_location=basilica), format="json")
    assert response.status_code == 201
    assert response.json()["centre"] == saint_denis.pk


def test_address_outside_every_jurisdiction_is_422(api, paris):
    lyon = {"type": "Point", "coordinates": [4.832, 45.7578]}
    response = api.post(URL, application(address_location=lyon), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "outside_jurisdiction"
    assert_nothing_stored()


@pytest.mark.parametrize(
    "field", ["username", "password", "email", "phone", "full_name", "address", "address_location"]
)
def test_missing_field_is_400_naming_it(api, paris, field):
    body = application()
    del body[field]
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("username", "has spaces!"),
        ("username", "x" * 151),
        ("phone", "call me"),
        ("password", "short"),
        ("password", "12345678901"),
        ("full_name", "x" * 201),
        ("address_location", {"type": "Point", "coordinates": [200, 48.8]}),
        ("address_location", {"type": "Point", "coordinates": [2.35, 95]}),
        ("address_location", "2.35,48.85"),
    ],
)
def test_bad_value_is_400_naming_the_field(api, paris, field, value):
    response = api.post(URL, application(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert_nothing_stored()


def test_a_crs_member_is_refused(api, paris):
    # Vigie never parses a spatial reference it was sent (why gis.W001 may be silenced).
    location = {
        "type": "Point",
        "coordinates": [2.3522, 48.8566],
        "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
    }
    response = api.post(URL, application(address_location=location), format="json")
    assert response.status_code == 400
    assert "crs" in response.json()["error"]["fields"]["address_location"][0]
    assert_nothing_stored()


def test_duplicate_username_is_409(api, paris, resident):
    response = api.post(URL, application(username="resident"), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_username"
    assert User.objects.filter(username="resident").count() == 1


def test_duplicate_email_is_409_whatever_the_case(api, paris, resident):
    response = api.post(URL, application(email="RESIDENT@example.org"), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_email"
    assert_nothing_stored()


def test_malformed_json_is_400(api, paris):
    response = api.post(URL, '{"username": "camille",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed"


def test_duplicate_keys_are_refused_not_guessed(api, paris):
    body = json.dumps(application())[:-1] + ', "username": "other"}'
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "Duplicate key" in response.json()["error"]["message"]
    assert not User.objects.exists()


def test_form_encoded_body_is_415(api, paris):
    response = api.post(URL, {"username": "camille"})  # multipart, not JSON
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def _fixtures(kind):
    return sorted((FIXTURES / kind).glob("*.geojson"))


@pytest.mark.parametrize("path", _fixtures("good"), ids=lambda p: p.name)
def test_good_geojson_points_are_accepted_and_other_good_geojson_refused_clearly(api, paris, path):
    geometry = json.loads(path.read_text())
    # Put the fixture's Point inside Paris, keeping its shape (2D or 3D).
    if geometry.get("type") == "Point":
        geometry["coordinates"][:2] = [2.3522, 48.8566]
    response = api.post(URL, application(address_location=geometry), format="json")
    if geometry.get("type") == "Point":
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400
        assert "Point" in response.json()["error"]["fields"]["address_location"][0]


@pytest.mark.parametrize("path", _fixtures("bad"), ids=lambda p: p.name)
def test_bad_geojson_is_a_4xx_and_stores_nothing(api, paris, path):
    text = path.read_text()
    body = json.dumps(application(address_location="__GEOJSON__"))
    response = api.post(URL, body.replace('"__GEOJSON__"', text), content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "error" in response.json()
    assert_nothing_stored()


class TestIdempotencyKey:
    def test_a_retry_returns_the_first_answer_and_creates_nothing(self, api, paris):
        first = api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert User.objects.filter(username="camille").count() == 1
        assert IdempotencyRecord.objects.count() == 1

    def test_the_same_key_for_another_request_is_refused(self, api, paris):
        api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        other = api.post(
            URL,
            application(username="dominique", email="d@example.org"),
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-1",
        )
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert not User.objects.filter(username="dominique").exists()

    def test_a_refused_request_can_be_corrected_under_the_same_key(self, api, paris):
        bad = api.post(URL, application(email="nope"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
        assert bad.status_code == 400
        assert not IdempotencyRecord.objects.exists()
        good = api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
        assert good.status_code == 201

    def test_an_expired_key_may_be_used_again(self, api, paris):
        from datetime import timedelta

        from django.utils import timezone

        api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
        IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
        fresh = api.post(
            URL,
            application(username="dominique", email="d@example.org"),
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-3",
        )
        assert fresh.status_code == 201
        assert User.objects.filter(username="dominique").exists()

    def test_an_oversized_key_is_400(self, api, paris):
        response = api.post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_idempotency_key"
        assert_nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_two_racing_retries_create_one_resident(paris):
    """The mobile network drops an answer and the app retries while the first is in flight."""
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    barrier = threading.Barrier(2)
    answers = []

    def send():
        barrier.wait()
        try:
            answers.append(
                APIClient().post(URL, application(), format="json", HTTP_IDEMPOTENCY_KEY="race")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert User.objects.filter(username="camille").count() == 1
