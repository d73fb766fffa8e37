"""Every error an API client can meet has the contract's shape."""

from __future__ import annotations


def assert_error_shape(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_unknown_api_path_is_a_json_404(client, db):
    assert_error_shape(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_wrong_method_is_a_json_405(api, db):
    assert_error_shape(api.get("/api/v1/auth/token/"), 405, "method_not_allowed")


def test_body_over_the_limit_is_413(api, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post(
        "/api/v1/auth/token/", {"username": "x" * 2000, "password": "y"}, format="json"
    )
    assert_error_shape(response, 413, "too_large")


def test_non_api_pages_keep_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "json" not in response.headers["Content-Type"]


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/residents/",
        "/api/v1/residents/{member_id}/approve/",
    ]:
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html
    assert "/static/drf_spectacular_sidecar/" in html
