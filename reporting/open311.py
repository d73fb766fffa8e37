"""Open311 GeoReport v2 façade at /open311/v2/ (API.md, "Interoperability").

Existing Open311 clients file and follow reports through thin views over the same code as the
Vigie apps: `intake.create_report` writes, `Report.objects.visible_to` reads. Formats are
chosen by the extension (`.json`, `.xml`); every error, whatever the input, is the spec's
`[{"code", "description"}]` (or `<errors><error>…`) in the requested format.

Where Vigie departs from the spec, on purpose:
- GET requests needs an `api_key` (the spec makes it optional) and answers 401 without one.
  These are public-safety reports (assaults, drug dealing, a person in distress): their
  places, times and descriptions would expose the people who made them and the people they
  name. A key sees what its owner sees in `GET /api/v1/reports/` (a member: their own).
- A missing or bad key is a 401 (the spec says 403), as everywhere in Vigie; 403 means a known
  account that may not do this (pending, suspended, staff). Other refusals the REST API
  answers with 409 or 422 are a 400 here, as the spec asks.
- A point is required: `address_string` and `address_id` are not geocoded, and the centre
  and the cameras are found from the point.
- The `api_key` says who reports: the personal fields (`email`, `first_name`, `last_name`,
  `phone`, `device_id`, `account_id`) are not stored. `media_url` is ignored: the centres'
  network does not fetch outside links. `jurisdiction_id` is ignored (routing is by point).
- `service_request_id` is the report's reference (`PAR-2026-000001`).
- The key may also come in the `Authorization: Token …` header, which keeps it out of access
  logs; a GET with `?api_key=` writes it in every proxy's log.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds the XML answers; nothing here parses XML
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.auth import TokenAuthentication
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.permissions import IsApprovedMember
from common.errors import InvalidInput, NotFound, api_exception_handler
from common.idempotency import idempotent
from reporting.models import Category, Report, Source, Status
from reporting.services import intake

CLOSED = (Status.RESOLVED, Status.CLOSED)
OPEN = (Status.NEW, Status.ACKNOWLEDGED, Status.DISPATCHED)
MAX_SPAN = timedelta(days=90)  # the spec's default window and widest range
MAX_RESULTS = 1000  # the spec's response volume
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,32}")
_CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
_KEY = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII: never a NUL sent to PostgreSQL
# Characters XML 1.0 cannot carry even escaped; a description may hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_KEPT_STATUSES = {401, 403, 404, 405, 406, 413, 415, 429}
_NO_KEY = (
    "An api_key is required: the app token of your Vigie account "
    "(POST /api/v1/auth/token/). Reports are only shown to the people who made them."
)
_NOTICE = {
    "fr": "Signalement {reference} transmis au {centre}. "
    "En cas de danger immédiat, appelez le 17 ou le 112.",
    "en": "Report {reference} sent to {centre}. If anyone is in immediate danger, call 17 or 112.",
}


class Open311JSONRenderer(JSONRenderer):
    charset = "utf-8"  # the spec's "application/json; charset=utf-8"


class Open311XMLRenderer(BaseRenderer):
    """The spec's schemaless XML: a root named by the view, one element per list item."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"
    item_names = {
        "services": "service",
        "service_requests": "request",
        "errors": "error",
        "attributes": "attribute",
        "values": "value",
    }

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        context = renderer_context or {}
        response = context.get("response")
        if response is not None and response.status_code >= 400:
            root_name = "errors"
        else:
            root_name = getattr(context.get("view"), "xml_root", "service_requests")
        root = ET.Element(root_name)
        self._fill(root, data)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'.encode()

    def _fill(self, element: ET.Element, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self._fill(ET.SubElement(element, self.item_names.get(element.tag, "item")), item)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._fill(ET.SubElement(element, key), item)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = _NOT_XML.sub("\ufffd", str(value))


class ByExtension(DefaultContentNegotiation):
    """The format is the path's extension; Accept headers are not consulted."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        wanted = (format_suffix or "json").lower()
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        raise NotFound(f"Unknown format {wanted[:12]!r}: Open311 answers in .json or .xml.")


def open311_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Vigie's one error handler, reshaped into the spec's list of errors."""
    base = api_exception_handler(exc, context)
    if base is None:
        return None
    error = base.data["error"]
    description = error["message"]
    if isinstance(exc, exceptions.NotAuthenticated):
        description = _NO_KEY
    elif error["fields"]:
        details = "; ".join(
            f"{name}: {' '.join(map(str, messages))}" for name, messages in error["fields"].items()
        )
        description = f"{description} {details}"
    code = base.status_code
    if 400 <= code < 500 and code not in _KEPT_STATUSES:
        code = 400
    response = Response([{"code": code, "description": description}], status=code)
    for header in ("Retry-After", "WWW-Authenticate"):
        if header in base:
            response[header] = base[header]
    return response


class ApiKeyAuthentication(BaseAuthentication):
    """Open311's `api_key` is a Vigie app token (knox), checked by knox itself."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.data.get("api_key") if request.method == "POST" else None
        key = key or request.query_params.get("api_key")
        if not key:
            return None
        if not _KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid api_key.")
        try:
            return TokenAuthentication().authenticate_credentials(key.encode())
        except exceptions.AuthenticationFailed as exc:
            raise exceptions.AuthenticationFailed(
                "Invalid or expired api_key: sign in again (POST /api/v1/auth/token/)."
            ) from exc

    def authenticate_header(self, request: Request) -> str:
        return "Token"


def language_of(request: Request) -> str:
    """French unless `locale` or Accept-Language asks for English."""
    wanted = request.query_params.get("locale")
    if not wanted and request.method == "POST":
        wanted = request.data.get("locale")
    wanted = wanted or getattr(request, "LANGUAGE_CODE", "fr")
    return "en" if str(wanted).lower().startswith("en") else "fr"


def _w3c(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def service_payload(category: Category, language: str) -> dict[str, Any]:
    other = "fr" if language == "en" else "en"
    return {
        "service_code": category.code,
        "service_name": category.label(language),
        "description": None,
        "metadata": False,
        "type": "realtime",
        # The other language's label, so a search in either language finds the service.
        "keywords": category.label(other),
        "group": None,
    }


def request_payload(report: Report, language: str) -> dict[str, Any]:
    closed = report.status in CLOSED
    updated = report.closed_at if closed and report.closed_at else report.updated_at
    return {
        "service_request_id": report.reference,
        "status": "closed" if closed else "open",
        "status_notes": report.closing_note or None,
        "service_name": report.category.label(language),
        "service_code": report.category.code,
        "description": report.description or None,
        "agency_responsible": report.centre.name,
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(updated),
        "lat": report.location.y,
        "long": report.location.x,
    }


def _listed(value: str | None, pattern: re.Pattern[str]) -> list[str] | None:
    """A comma list, None when absent or empty; entries that cannot exist are dropped (they
    would match nothing anyway, and NUL bytes and the like never reach the database)."""
    if not value or not value.strip():
        return None
    parts = (part.strip() for part in value.split(",")[:MAX_RESULTS])
    return [part for part in parts if pattern.fullmatch(part)]


def _moment(params: Any, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or not 1900 <= value.year <= 9000:
        raise InvalidInput(
            f"{name} must be a W3C date-time with its time zone, e.g. 2026-01-31T00:00:00Z "
            "(send '+' as %2B).",
            fields={name: ["expected a W3C date-time with a time zone"]},
        )
    return value.astimezone(UTC)


def requests_for(user: Any, params: Any) -> QuerySet[Report]:
    """The reports this person may see, filtered as the spec's GET requests says."""
    reports = Report.objects.visible_to(user).select_related("category", "centre")
    references = _listed(params.get("service_request_id"), _REFERENCE)
    if references is not None:  # "overrides all other arguments"
        return reports.filter(reference__in=[r.upper() for r in references])[:MAX_RESULTS]
    codes = _listed(params.get("service_code"), _CODE)
    if codes is not None:
        reports = reports.filter(category__code__in=codes)
    if (params.get("status") or "").strip():
        names = {name.strip().lower() for name in params["status"].split(",")}
        if names - {"open", "closed"}:
            raise InvalidInput(
                "status must be open, closed or both (comma separated).",
                fields={"status": ["open", "closed"]},
            )
        wanted = (OPEN if "open" in names else ()) + (CLOSED if "closed" in names else ())
        reports = reports.filter(status__in=wanted)
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None and end is None:
        end = timezone.now()
    start = start or end - MAX_SPAN
    end = end or start + MAX_SPAN
    if not timedelta(0) <= end - start <= MAX_SPAN:
        raise InvalidInput(
            "end_date must follow start_date, at most 90 days later.",
            fields={"end_date": ["at most 90 days after start_date"]},
        )
    return reports.filter(created_at__range=(start, end))[:MAX_RESULTS]


class Open311View(APIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    content_negotiation_class = ByExtension
    authentication_classes = [ApiKeyAuthentication, TokenAuthentication]
    schema = None  # GeoReport v2 has its own published schema; kept out of /api/schema/
    xml_root = "service_requests"

    def get_exception_handler(self):
        return open311_exception_handler


class ServiceList(Open311View):
    authentication_classes: list = []  # public, whatever key a client sends
    permission_classes = [AllowAny]
    xml_root = "services"

    def get(self, request: Request, format: str) -> Response:
        language = language_of(request)
        categories = Category.objects.filter(active=True, for_alerts=False)
        return Response([service_payload(category, language) for category in categories])


class ServiceDefinition(Open311View):
    """No service asks for attributes: every definition is an empty list of them."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    xml_root = "service_definition"

    def get(self, request: Request, service_code: str, format: str) -> Response:
        category = None
        if _CODE.fullmatch(service_code):
            category = Category.objects.filter(
                active=True, for_alerts=False, code=service_code
            ).first()
        if category is None:
            raise NotFound("No such service_code; see services.json.")
        return Response({"service_code": category.code, "attributes": []})


class ServiceRequestInput(serializers.Serializer):
    service_code = serializers.CharField(max_length=40)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    long = serializers.FloatField(min_value=-180, max_value=180, required=False)
    address_string = serializers.CharField(required=False)
    address_id = serializers.CharField(required=False)
    description = serializers.CharField(
        max_length=settings.VIGIE_REPORT_DESCRIPTION_MAX, required=False, default=""
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "lat" in data and "long" in data:
            return data
        if "lat" in data or "long" in data:
            missing = "long" if "lat" in data else "lat"
            raise serializers.ValidationError({missing: ["lat and long go together."]})
        message = "Vigie needs the exact point of the report: send lat and long (WGS 84)."
        if {"address_string", "address_id"} & set(data):
            message += " Addresses (address_string, address_id) are not geocoded here."
        raise serializers.ValidationError(message, code="location_required")


class ServiceRequests(Open311View):
    """GET: the requests the key's owner may see. POST: an approved member files a report."""

    parser_classes = [FormParser]
    throttle_scope = "reports"

    def get_permissions(self) -> list:
        return [IsApprovedMember()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self) -> list:
        throttles = [UserRateThrottle()]
        if self.request.method == "POST":
            throttles.append(ScopedRateThrottle())  # the same budget as POST /api/v1/reports/
        return throttles

    def get(self, request: Request, format: str) -> Response:
        language = language_of(request)
        reports = requests_for(request.user, request.query_params)
        return Response([request_payload(report, language) for report in reports])

    @idempotent
    def post(self, request: Request, format: str) -> Response:
        # The spec: an empty parameter is the same as an absent one.
        data = ServiceRequestInput(data={k: v for k, v in request.data.items() if v != ""})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        category = Category.objects.filter(
            active=True, for_alerts=False, code=fields["service_code"]
        ).first()
        if category is None:
            raise NotFound("No such service_code; see services.json.")
        report = intake.create_report(
            source=Source.OPEN311,
            author=request.user,
            category=category,
            location=Point(fields["long"], fields["lat"], srid=4326),
            description=fields["description"],
            accuracy_m=None,
        )
        notice = _NOTICE[language_of(request)].format(
            reference=report.reference, centre=report.centre.name
        )
        answer = {"service_request_id": report.reference, "service_notice": notice}
        return Response([{**answer, "account_id": str(request.user.pk)}])


class ServiceRequest(Open311View):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, service_request_id: str, format: str) -> Response:
        reports = Report.objects.none()
        if _REFERENCE.fullmatch(service_request_id):
            reports = Report.objects.visible_to(request.user).select_related("category", "centre")
            reports = reports.filter(reference=service_request_id.upper())
        report = reports.first()
        if report is None:  # whether it exists or is someone else's
            raise NotFound("No such service request.")
        return Response([request_payload(report, language_of(request))])


class UnknownPath(Open311View):
    """Anything else under /open311/v2/: the spec's 404, in the format the path asks for."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound(
            "No such Open311 resource: services, services/{code}, requests, requests/{id}, "
            "each ending in .json or .xml."
        )
