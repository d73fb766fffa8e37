"""/open311/v2/: an Open311 GeoReport v2 client files and follows reports like the Vigie apps.

What we emit is checked against the spec's own JSON Schemas, its example request, and a real
server's XML (tests/fixtures/open311/README.md says where each comes from).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses only what the façade emitted, or a fixture
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from accounts import services
from live.models import Event
from reporting.models import Category, Outcome, Report
from reporting.services import triage
from tests.factories import LYON_BELLECOUR, PARIS_HOTEL_DE_VILLE, enrol, file_report

BASE = "/open311/v2/"
FORM = "application/x-www-form-urlencoded"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "open311"
SCHEMAS = ["services.json", "service.json", "service-definition.json", "requests.json"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "requested_datetime",
    "updated_datetime",
    "lat",
    "long",
]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def validator(name: str) -> Draft4Validator:
    """A validator for one of the spec's schemas, resolving `$ref`s to the others by name."""
    names = [*SCHEMAS, "request.json"]
    registry = Registry().with_resources(
        (n, Resource.from_contents(json.loads(fixture_text(n)), default_specification=DRAFT4))
        for n in names
    )
    return Draft4Validator(json.loads(fixture_text(name)), registry=registry)


def assert_valid(schema_name: str, payload) -> None:
    errors = [e.message for e in validator(schema_name).iter_errors(payload)]
    assert errors == []


def parse_xml(content: bytes) -> ET.Element:
    # Only XML the façade itself produced, or a shipped fixture: Vigie parses no XML it is sent.
    return ET.fromstring(content)  # noqa: S314


def parse_our_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')  # the spec's
    return parse_xml(response.content)


def assert_errors(response, status: int, *words: str) -> str:
    """The spec's error shape, in JSON: `[{"code": <status>, "description": "…"}]`."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    description = body[0]["description"]
    assert description
    for word in words:
        assert word in description
    return description


def spec_example(**overrides: str) -> str:
    """The spec's example POST body, with some values replaced (the rest kept as published)."""
    pairs = parse_qsl(fixture_text("post_service_request_example.txt").strip())
    return urlencode([(key, overrides.get(key, value)) for key, value in pairs])


def paris_form(key: str, **fields: str) -> str:
    data = {
        "api_key": key,
        "service_code": "fight",
        "lat": "48.8566",
        "long": "2.3522",
        "description": "Two groups fighting outside the métro exit.",
    }
    data.update(fields)
    return urlencode({k: v for k, v in data.items() if v is not None})


def w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def key(resident):
    return services.issue_app_token(resident)


@pytest.fixture
def post(api):
    def send(body: str, fmt: str = "json", **headers):
        return api.post(f"{BASE}requests.{fmt}", body, content_type=FORM, **headers)

    return send


class TestServices:
    def test_services_are_the_active_categories_labelled_in_french(self, api, db):
        Category.objects.filter(code="other").update(active=False)  # a city retires one

        response = api.get(f"{BASE}services.json")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        assert_valid("services.json", body)
        codes = [service["service_code"] for service in body]
        # Categories only devices raise (panic, duress...) are not offered to senders.
        offered = Category.objects.filter(active=True, for_alerts=False)
        assert codes == list(offered.values_list("code", flat=True))
        assert "other" not in codes
        fight = body[codes.index("fight")]
        assert fight == {
            "service_code": "fight",
            "service_name": "Rixe, regroupement de bandes",
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": "Fight, gang gathering",
            "group": None,
        }

    @pytest.mark.parametrize(
        ("params", "headers"),
        [({}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}), ({"locale": "en"}, {})],
    )
    def test_services_in_english_on_request(self, api, db, params, headers):
        body = api.get(f"{BASE}services.json", params, **headers).json()
        fight = next(s for s in body if s["service_code"] == "fight")
        assert fight["service_name"] == "Fight, gang gathering"
        assert fight["keywords"] == "Rixe, regroupement de bandes"

    def test_locale_wins_over_accept_language(self, api, db):
        body = api.get(f"{BASE}services.json", {"locale": "fr"}, HTTP_ACCEPT_LANGUAGE="en").json()
        assert body[0]["service_name"] == Category.objects.filter(active=True)[0].label_fr

    def test_services_xml_has_the_spec_element_names(self, api, db):
        response = api.get(f"{BASE}services.xml")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        root = parse_our_xml(response)
        assert root.tag == "services"
        assert {child.tag for child in root} == {"service"}
        assert len(root) == Category.objects.filter(active=True, for_alerts=False).count()
        first = root[0]
        assert [e.tag for e in first] == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        assert first.findtext("metadata") == "false"
        assert first.findtext("type") == "realtime"
        assert first.find("description").text is None  # null is an empty element

    def test_a_service_definition_has_no_attributes(self, api, db):
        response = api.get(f"{BASE}services/fight.json")
        assert response.status_code == 200
        assert response.json() == {"service_code": "fight", "attributes": []}
        assert_valid("service-definition.json", response.json())

        root = parse_our_xml(api.get(f"{BASE}services/fight.xml"))
        assert root.tag == "service_definition"
        assert [e.tag for e in root] == ["service_code", "attributes"]
        assert root.findtext("service_code") == "fight"
        assert len(root.find("attributes")) == 0

    @pytest.mark.parametrize("code", ["pothole", "other", "a%00b", "x" * 300])
    def test_an_unknown_or_retired_service_is_404(self, api, db, code):
        Category.objects.filter(code="other").update(active=False)
        assert_errors(api.get(f"{BASE}services/{code}.json"), 404, "service_code")

    def test_the_404_follows_the_requested_format(self, api, db):
        response = api.get(f"{BASE}services/pothole.xml")
        assert response.status_code == 404
        root = parse_our_xml(response)
        assert root.tag == "errors"
        assert [e.tag for e in root] == ["error"]
        assert root.findtext("error/code") == "404"
        assert "service_code" in root.findtext("error/description")


class TestRoundTrip:
    def test_the_spec_schemas_refuse_a_bad_request(self):
        # So that a passing validation above means something: refs resolve, rules bite.
        bad = [{"service_request_id": "PAR-2026-000001", "status": "pending", "service_code": "x"}]
        errors = sorted(e.validator for e in validator("requests.json").iter_errors(bad))
        assert errors == ["enum", "required"]

    def test_the_spec_example_request_files_a_report_and_reads_back(self, api, post, resident):
        key = services.issue_app_token(resident)
        body = spec_example(
            api_key=key, service_code="illegal_dumping", lat="48.8566", long="2.3522"
        )

        response = post(body, fmt="xml")  # the spec's example posts to requests.xml

        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        root = parse_our_xml(response)
        assert root.tag == "service_requests"
        assert [e.tag for e in root] == ["request"]
        assert [e.tag for e in root[0]] == ["service_request_id", "service_notice", "account_id"]
        report = Report.objects.get()
        year = timezone.localtime(report.created_at).year
        assert root.findtext("request/service_request_id") == report.reference
        assert report.reference == f"PAR-{year}-000001"
        assert "CSU de Paris" in root.findtext("request/service_notice")
        assert "112" in root.findtext("request/service_notice")
        # Stored through the intake service, as the Vigie apps' reports are.
        assert report.source == "open311"
        assert report.author == resident
        assert report.category.code == "illegal_dumping"
        assert report.priority == "low"  # the category's default
        assert (report.location.x, report.location.y) == pytest.approx((2.3522, 48.8566))
        assert report.accuracy_m is None
        # The key says who reports; the example's personal fields and outside link are dropped.
        assert report.description == "A large sinkhole is destroying the street"
        event = Event.objects.get()
        assert (event.type, event.data["reference"]) == ("report.created", report.reference)

        one = api.get(f"{BASE}requests/{report.reference}.json", {"api_key": key})
        assert one.status_code == 200
        assert_valid("requests.json", one.json())
        (request,) = one.json()
        assert list(request) == REQUEST_FIELDS
        assert request["service_request_id"] == report.reference
        assert request["status"] == "open"
        assert request["status_notes"] is None
        assert request["service_name"] == "Dépôt sauvage"
        assert request["service_code"] == "illegal_dumping"
        assert request["description"] == "A large sinkhole is destroying the street"
        assert request["agency_responsible"] == "CSU de Paris"
        assert (request["lat"], request["long"]) == pytest.approx((48.8566, 2.3522))
        for field in ("requested_datetime", "updated_datetime"):
            moment = datetime.fromisoformat(request[field])
            assert moment.tzinfo is not None  # the spec: the offset must be given
            assert abs(moment - report.created_at) < timedelta(seconds=2)

        listed = api.get(f"{BASE}requests.json", {"api_key": key})
        assert listed.status_code == 200
        assert_valid("requests.json", listed.json())
        assert listed.json() == [request]

    def test_the_post_answer_follows_the_spec_schema_in_json(self, post, key, resident):
        response = post(paris_form(key))

        assert response.status_code == 200
        body = response.json()
        definitions = json.loads(fixture_text("swagger.json"))["definitions"]
        answer = Draft4Validator(definitions["RequestResponse"])
        assert [list(answer.iter_errors(item)) for item in body] == [[]]
        assert body[0]["service_request_id"] == Report.objects.get().reference
        assert body[0]["account_id"] == str(resident.pk)
        assert "Signalement" in body[0]["service_notice"]

    def test_the_notice_is_in_english_on_request(self, post, key):
        response = post(paris_form(key, locale="en"))
        assert response.json()[0]["service_notice"].startswith("Report PAR-")

    def test_the_spec_example_unchanged_is_outside_every_jurisdiction(self, post, key):
        # San Francisco: a clear 400 in the spec's shape, and nothing stored.
        response = post(spec_example(api_key=key, service_code="fight"))
        assert_errors(response, 400, "jurisdiction")
        assert not Report.objects.exists()

    def test_an_open311_report_is_in_the_authors_reports_api(self, post, key, as_user, resident):
        reference = post(paris_form(key)).json()[0]["service_request_id"]

        response = as_user(resident).get("/api/v1/reports/")

        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["reference"], r["source"]) for r in results] == [(reference, "open311")]

    def test_request_xml_names_follow_the_spec_and_a_real_server(self, api, key, resident):
        report = file_report(resident)

        response = api.get(f"{BASE}requests/{report.reference}.xml", {"api_key": key})

        assert response.status_code == 200
        ours = parse_our_xml(response)
        toronto = parse_xml(fixture_text("open311status_requests_single.xml").encode())
        assert ours.tag == toronto.tag == "service_requests"
        assert [e.tag for e in ours] == ["request"]
        tags = [e.tag for e in ours[0]]
        assert tags == REQUEST_FIELDS
        assert set(tags) <= {e.tag for e in toronto[0]}
        spec_order = list(json.loads(fixture_text("request.json"))["properties"])
        assert tags == [name for name in spec_order if name in tags]
        assert ours.findtext("request/service_request_id") == report.reference
        assert float(ours.findtext("request/lat")) == pytest.approx(PARIS_HOTEL_DE_VILLE.y)
        assert ours.find("request/status_notes").text is None

    def test_the_same_idempotency_key_files_one_report(self, post, key):
        first = post(paris_form(key), HTTP_IDEMPOTENCY_KEY="o311-1")
        again = post(paris_form(key), HTTP_IDEMPOTENCY_KEY="o311-1")

        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert Report.objects.count() == 1

    def test_the_key_may_come_in_the_authorization_header(self, api, key, resident):
        report = file_report(resident)
        response = api.get(f"{BASE}requests.json", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200
        assert [r["service_request_id"] for r in response.json()] == [report.reference]


class TestWhoMay:
    def test_reading_requests_without_a_key_is_401_saying_why(self, api, resident):
        file_report(resident)
        response = api.get(f"{BASE}requests.json")
        assert_errors(response, 401, "api_key")
        assert response["WWW-Authenticate"] == "Token"

    def test_reading_one_request_without_a_key_is_401_in_xml(self, api, resident):
        report = file_report(resident, description="Dealing at the corner, blue jacket.")
        response = api.get(f"{BASE}requests/{report.reference}.xml")
        assert response.status_code == 401
        root = parse_our_xml(response)
        assert (root.tag, root.findtext("error/code")) == ("errors", "401")
        assert report.description not in response.content.decode()

    def test_posting_without_a_key_is_401_and_stores_nothing(self, post, paris):
        response = post(paris_form(key=""))
        assert_errors(response, 401, "api_key")
        assert not Report.objects.exists()

    @pytest.mark.parametrize("bad", ["nope", "f" * 64, "x" * 300, "a\x00b", "clé"])
    def test_a_bad_key_is_401(self, api, post, resident, bad):
        file_report(resident)
        assert_errors(api.get(f"{BASE}requests.json", {"api_key": bad}), 401, "api_key")
        assert_errors(post(paris_form(bad)), 401, "api_key")
        assert Report.objects.count() == 1

    @pytest.mark.parametrize(
        ("status", "word"), [("pending", "approval"), ("suspended", "suspended")]
    )
    def test_unapproved_members_may_not_post(self, post, vetting_officer, status, word):
        member = enrol("applicant")
        if status == "suspended":
            services.approve_member(member, by=vetting_officer)
            services.suspend_member(member, by=vetting_officer, reason="abuse")

        response = post(paris_form(services.issue_app_token(member)))

        assert_errors(response, 403, word)
        assert not Report.objects.exists()

    def test_a_revoked_members_key_stops_working(self, post, key, resident, vetting_officer):
        services.revoke_member(resident, by=vetting_officer, reason="abuse")
        assert_errors(post(paris_form(key)), 401)
        assert not Report.objects.exists()

    def test_staff_do_not_file_reports_through_open311(self, post, operator):
        response = post(paris_form(services.issue_app_token(operator)))
        assert_errors(response, 403)
        assert not Report.objects.exists()

    def test_another_residents_reports_stay_hidden(self, api, key, resident, other_resident):
        mine = file_report(resident)
        theirs = file_report(other_resident, description="Dealing at the corner, blue jacket.")

        listed = api.get(f"{BASE}requests.json", {"api_key": key}).json()
        assert [r["service_request_id"] for r in listed] == [mine.reference]

        asked = api.get(
            f"{BASE}requests.json",
            {"api_key": key, "service_request_id": f"{theirs.reference},{mine.reference}"},
        ).json()
        assert [r["service_request_id"] for r in asked] == [mine.reference]

        hidden = api.get(f"{BASE}requests/{theirs.reference}.json", {"api_key": key})
        missing = api.get(f"{BASE}requests/PAR-1999-999999.json", {"api_key": key})
        assert_errors(hidden, 404)
        assert hidden.json() == missing.json()  # nothing tells that it exists
        assert "blue jacket" not in hidden.content.decode()

    def test_open311_posts_share_the_members_report_budget(self, post, key, as_user, resident):
        from rest_framework.throttling import ScopedRateThrottle

        rates = {**ScopedRateThrottle.THROTTLE_RATES, "reports": "2/hour"}
        ScopedRateThrottle.THROTTLE_RATES, saved = rates, ScopedRateThrottle.THROTTLE_RATES
        try:
            rest = as_user(resident).post(
                "/api/v1/reports/",
                {
                    "category": "fight",
                    "location": {"type": "Point", "coordinates": [2.3522, 48.8566]},
                },
                format="json",
            )
            answers = [post(paris_form(key)) for _ in range(2)]
        finally:
            ScopedRateThrottle.THROTTLE_RATES = saved
        assert rest.status_code == 201
        assert answers[0].status_code == 200
        assert_errors(answers[1], 429)
        assert int(answers[1]["Retry-After"]) >= 1
        assert Report.objects.count() == 2


class TestFilters:
    @pytest.fixture
    def three(self, resident, operator):
        new = file_report(resident, category="fight")
        seen = triage.acknowledge_report(file_report(resident, category="theft"), operator=operator)
        done = triage.close_report(
            file_report(resident, category="fight"),
            operator=operator,
            outcome=Outcome.HANDLED,
            note="Patrol sent; the group had left.",
        )
        return new, seen, done

    def ids(self, api, key, **params):
        response = api.get(f"{BASE}requests.json", {"api_key": key, **params})
        assert response.status_code == 200, response.content
        return {r["service_request_id"]: r for r in response.json()}

    def test_status_maps_vigie_statuses_to_open_and_closed(self, api, key, three):
        new, seen, done = three
        assert set(self.ids(api, key, status="open")) == {new.reference, seen.reference}
        closed = self.ids(api, key, status="closed")
        assert set(closed) == {done.reference}
        assert closed[done.reference]["status"] == "closed"
        assert closed[done.reference]["status_notes"] == "Patrol sent; the group had left."
        assert len(self.ids(api, key, status="open,closed")) == 3
        assert len(self.ids(api, key, status="")) == 3  # empty is the same as absent

    def test_service_code_filter(self, api, key, three):
        new, seen, done = three
        assert set(self.ids(api, key, service_code="fight")) == {new.reference, done.reference}
        assert len(self.ids(api, key, service_code="fight,theft")) == 3
        assert self.ids(api, key, service_code="pothole") == {}
        assert self.ids(api, key, service_code="%00") == {}

    def test_date_range(self, api, key, three):
        now = timezone.now()
        hour = timedelta(hours=1)
        assert len(self.ids(api, key, start_date=w3c(now - hour), end_date=w3c(now + hour))) == 3
        assert self.ids(api, key, start_date=w3c(now + hour)) == {}
        assert self.ids(api, key, end_date=w3c(now - timedelta(days=1))) == {}
        offset = (now - hour).astimezone(timezone.get_fixed_timezone(120)).isoformat()
        assert len(self.ids(api, key, start_date=offset)) == 3

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "pending"},
            {"status": ","},
            {"start_date": "yesterday"},
            {"start_date": "2026-01-01T00:00:00"},  # no time zone
            {"start_date": "2026-02-30T00:00:00Z"},
            {"start_date": "0001-01-01T00:00:00Z"},
            {"start_date": "9999-12-31T23:59:59Z"},
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        ],
    )
    def test_bad_filters_are_400(self, api, key, params):
        assert_errors(api.get(f"{BASE}requests.json", {"api_key": key, **params}), 400)

    @pytest.mark.parametrize("ids", ["%00", "'; DROP TABLE x; --", "x" * 5000, ",,,"])
    def test_garbage_request_ids_find_nothing(self, api, key, resident, ids):
        file_report(resident)
        assert self.ids(api, key, service_request_id=ids) == {}

    def test_listing_costs_the_same_queries_for_one_or_many(self, api, key, resident):
        file_report(resident)
        with CaptureQueriesContext(connection) as one:
            api.get(f"{BASE}requests.json", {"api_key": key})
        for _ in range(4):
            file_report(resident)
        with CaptureQueriesContext(connection) as five:
            response = api.get(f"{BASE}requests.json", {"api_key": key})
        assert len(response.json()) == 5
        assert len(five) == len(one)


class TestBadInput:
    @pytest.mark.parametrize(
        ("fields", "status", "word"),
        [
            ({"lat": "abc"}, 400, "lat"),
            ({"lat": "NaN"}, 400, "lat"),
            ({"long": "inf"}, 400, "long"),
            ({"lat": "1e400"}, 400, "lat"),
            ({"lat": "91"}, 400, "lat"),
            ({"long": "-180.5"}, 400, "long"),
            ({"lat": "9" * 2000}, 400, "lat"),
            ({"long": None}, 400, "long"),
            ({"lat": None, "long": None}, 400, "lat and long"),
            ({"lat": None, "long": None, "address_string": "1 rue de Rivoli"}, 400, "address"),
            ({"lat": "", "long": ""}, 400, "lat and long"),
            ({"service_code": None}, 400, "service_code"),
            ({"service_code": "pothole"}, 404, "service_code"),
            ({"service_code": "a\x00b"}, 400, "service_code"),
            ({"service_code": "x" * 5000}, 400, "service_code"),
            ({"description": "x" * 100_000}, 400, "description"),
            ({"description": "a\x00b"}, 400, "description"),
            ({"lat": str(LYON_BELLECOUR.y), "long": str(LYON_BELLECOUR.x)}, 400, "jurisdiction"),
        ],
    )
    def test_bad_fields_are_refused_in_the_spec_shape(self, post, key, fields, status, word):
        assert_errors(post(paris_form(key, **fields)), status, word)
        assert not Report.objects.exists()
        assert not Event.objects.exists()

    def test_errors_follow_the_xml_format(self, post, key):
        response = post(paris_form(key, lat="north"), fmt="xml")
        assert response.status_code == 400
        root = parse_our_xml(response)
        assert root.tag == "errors"
        assert [e.tag for e in root[0]] == ["code", "description"]
        assert root.findtext("error/code") == "400"
        assert "lat" in root.findtext("error/description")

    def test_a_json_body_is_415(self, api, key):
        body = {"api_key": key, "service_code": "fight", "lat": 48.8566, "long": 2.3522}
        assert_errors(api.post(f"{BASE}requests.json", body, format="json"), 415)
        assert not Report.objects.exists()

    def test_a_body_over_the_limit_is_413(self, post, key, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        assert_errors(post(paris_form(key, description="x" * 1500)), 413)
        assert not Report.objects.exists()

    @pytest.mark.parametrize(
        "path", ["services.csv", "requests.yaml", "requests/PAR-2026-000001.html"]
    )
    def test_an_unknown_format_is_a_json_404(self, api, key, path):
        assert_errors(api.get(f"{BASE}{path}", {"api_key": key}), 404, ".json or .xml")

    @pytest.mark.parametrize("path", ["", "discovery", "requests", "services/", "tokens/1.json"])
    def test_an_unknown_path_is_the_specs_404(self, api, db, path):
        assert_errors(api.get(f"{BASE}{path}"), 404)

    def test_an_unknown_xml_path_answers_in_xml(self, api, db):
        response = api.get(f"{BASE}tokens/123.xml")
        assert response.status_code == 404
        assert parse_our_xml(response).findtext("error/code") == "404"

    def test_a_wrong_method_is_405(self, api, key):
        path = f"{BASE}requests.json?api_key={key}"
        assert_errors(api.put(path, "", content_type=FORM), 405)
        assert_errors(api.post(f"{BASE}services.json", "", content_type=FORM), 405)

    def test_control_characters_in_a_description_keep_the_xml_well_formed(self, api, key, resident):
        report = file_report(resident, description="Broken glass\x0bon the\x01 pavement")

        response = api.get(f"{BASE}requests/{report.reference}.xml", {"api_key": key})

        assert response.status_code == 200
        text = parse_our_xml(response).findtext("request/description")
        assert text == "Broken glass\ufffdon the\ufffd pavement"
        json_text = api.get(f"{BASE}requests/{report.reference}.json", {"api_key": key})
        assert json_text.json()[0]["description"] == report.description
