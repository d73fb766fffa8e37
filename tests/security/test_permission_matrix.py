"""Every endpoint × every role × every method, generated from the URL conf.

The URL conf is walked (through every include) for the API, Open311 and the web pages; each
URL is filled with ids of real objects of the cast (a Paris report with a photo, an
intervention, a unit, a camera…), and each role sends each method its view allows, with a
minimal valid body where the table gives one. Asserted for every request:

- never a 5xx;
- anonymous gets 401/403 (a page may send it to sign in instead) unless the table says public;
- the roles the table names for the endpoint get a 2xx (or, for a `lenient` rule whose success
  depends on state the request cannot set up, at least get past authentication and
  permission); every other role never gets a 2xx.

The table must name every URL and method: a new endpoint without its line fails
`test_the_table_covers_every_url`, saying what to add. Each request runs in a savepoint rolled
back afterwards, so every request sees the same cast and nothing one does helps another.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PARIS_HOTEL_DE_VILLE, PASSWORD, moved
from tests.security.cast import ANON, ROLES, Cast

# --- who (the roles and their clients: tests/security/cast.py) -----------------------------------

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
MEMBERS = frozenset({"resident", "business"})  # approved app members
TRIAGE = frozenset({"operator", "supervisor", "admin"})  # reporting.triage_report
TRIAGE_ANY_CENTRE = TRIAGE | {"outsider"}  # lists scoped to one's own centre
DISPATCHERS = frozenset({"operator", "supervisor", "admin"})
# The roles whose clients hold an app token (accounts.api.TOKEN_ROLES), pending included.
TOKEN_HOLDERS = frozenset({"resident", "pending_resident", "business", "police"})
SESSION_HOLDERS = SIGNED_IN - TOKEN_HOLDERS
STAFF_OR_POLICE = DISPATCHERS | {"police"}
VETTERS = frozenset({"vetting", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
SUPERVISOR_ONLY = frozenset({"supervisor"})  # custody: supervisors of the centre, not admins
NOBODY: frozenset[str] = frozenset()

# --- the expectation table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str]  # the roles that may get a 2xx
    body: Callable[[Any], Any] | None = None  # minimal valid body, from the cast
    kwargs: Callable[[Any], dict] | None = None  # URL parameters other than the defaults
    query: dict = field(default_factory=dict)
    public: bool = False  # anonymous is let in (and may get a 2xx if in `ok`)
    lenient: bool = False  # `ok` roles need only get past the permission check
    multipart: bool = False
    durable: bool = False  # the view opens a durable transaction: not wrapped in a savepoint


def point(p=PARIS_HOTEL_DE_VILLE) -> dict:
    return {"type": "Point", "coordinates": [p.x, p.y]}


REASON = {"reason": "Requested by the prosecutor's office, case 2026/123."}

TABLE: dict[tuple[str, str], Rule] = {
    # accounts
    ("auth-token", "POST"): Rule(
        EVERYONE, body=lambda c: {"username": "resident", "password": PASSWORD}, public=True
    ),
    ("auth-token", "DELETE"): Rule(TOKEN_HOLDERS),
    # Whoever is signed in, by session or token, may ask who they are and sign out.
    ("auth-session", "GET"): Rule(SIGNED_IN),
    # Staff sign in with a TOTP code the matrix does not have: every role is refused.
    ("auth-session", "POST"): Rule(
        NOBODY, body=lambda c: {"username": "operator", "password": PASSWORD}, public=True
    ),
    ("auth-session", "DELETE"): Rule(SIGNED_IN),
    ("resident-enrol", "POST"): Rule(
        EVERYONE,
        body=lambda c: {
            "username": "camille",
            "password": "a-long-passphrase-2026",
            "email": "camille@example.org",
            "phone": "+33 6 12 34 56 78",
            "full_name": "Camille Martin",
            "address": "Paris",
            "address_location": point(),
        },
        public=True,
    ),
    ("resident-approve", "POST"): Rule(
        VETTERS, body=lambda c: REASON, kwargs=lambda c: {"member_id": c.pending.pk}
    ),
    ("resident-suspend", "POST"): Rule(VETTERS, body=lambda c: REASON),
    ("resident-revoke", "POST"): Rule(VETTERS, body=lambda c: REASON),
    # reports
    ("categories", "GET"): Rule(EVERYONE, public=True),
    ("reports", "GET"): Rule(SIGNED_IN),
    ("reports", "POST"): Rule(
        MEMBERS,
        body=lambda c: {
            "category": "fight",
            "description": "A fight outside the métro.",
            "location": point(),
            "accuracy_m": 10,
        },
    ),
    # Police see the reports their unit is dispatched to (the cast's report is).
    ("report", "GET"): Rule(TRIAGE | {"resident", "police"}),
    ("report-acknowledge", "POST"): Rule(TRIAGE, body=lambda c: {}),
    ("report-merge", "POST"): Rule(TRIAGE, body=lambda c: {"into": c.other_report.pk}),
    ("report-close", "POST"): Rule(
        TRIAGE,
        body=lambda c: {"outcome": "handled", "note": ""},
        kwargs=lambda c: {"report_id": c.other_report.pk},  # new, not dispatched
    ),
    ("report-duplicates", "GET"): Rule(TRIAGE),
    ("report-cameras", "GET"): Rule(TRIAGE),
    ("report-media", "GET"): Rule(TRIAGE | {"resident", "police"}, query=REASON),
    ("report-legal-hold", "POST"): Rule(SUPERVISOR_ONLY, body=lambda c: REASON),
    # Lifting a hold needs one: the cast's report has none (409/422 for supervisors).
    ("report-legal-hold", "DELETE"): Rule(SUPERVISOR_ONLY, body=lambda c: REASON, lenient=True),
    ("report-share", "POST"): Rule(
        SUPERVISOR_ONLY, body=lambda c: {"centre": c.saint_denis.pk, **REASON}
    ),
    ("camera-point", "POST"): Rule(TRIAGE, body=lambda c: {"report": c.report.pk}, durable=True),
    ("cameras", "GET"): Rule(TRIAGE_ANY_CENTRE),
    # alert buttons: the device endpoints want a signature nobody here has
    ("alert-trigger", "POST"): Rule(NOBODY, body=lambda c: {"kind": "panic"}, public=True),
    ("alert-heartbeat", "POST"): Rule(NOBODY, body=lambda c: {}, public=True),
    ("alert-press", "POST"): Rule(frozenset({"business"}), body=lambda c: {"kind": "panic"}),
    # Cancelling needs the button's PIN (or a signed device): the body has a wrong one.
    ("alert-cancel", "POST"): Rule(
        NOBODY, body=lambda c: {"report": c.alert.pk, "pin": "0000"}, public=True
    ),
    ("alert-pins", "POST"): Rule(
        frozenset({"business"}),
        body=lambda c: {"password": PASSWORD, "cancel_pin": "2468", "duress_pin": "1357"},
    ),
    ("alerts", "GET"): Rule(frozenset({"business"})),
    ("alert", "GET"): Rule(frozenset({"business"}), kwargs=lambda c: {"report_id": c.alert.pk}),
    ("devices", "GET"): Rule(TRIAGE_ANY_CENTRE),
    # dispatch
    ("units", "GET"): Rule(STAFF_OR_POLICE | {"outsider"}),
    ("units", "POST"): Rule(
        SUPERVISORS, body=lambda c: {"callsign": "PS-99", "kind": "car", "centre": c.paris.pk}
    ),
    ("unit-position", "POST"): Rule(
        frozenset({"police"}),
        body=lambda c: {
            "location": point(moved(PARIS_HOTEL_DE_VILLE, 310, 45)),
            "recorded_at": timezone.now().isoformat(),
            "accuracy_m": 5,
        },
    ),
    ("unit-status", "POST"): Rule(
        STAFF_OR_POLICE,
        body=lambda c: {"status": "off_duty"},
        kwargs=lambda c: {"unit_id": c.spare_unit.pk},  # the cast's own car is on a call
    ),
    ("report-suggested-units", "GET"): Rule(DISPATCHERS),
    ("interventions", "GET"): Rule(STAFF_OR_POLICE | {"outsider"}),
    ("interventions", "POST"): Rule(
        DISPATCHERS, body=lambda c: {"report": c.other_report.pk, "unit": c.spare_unit.pk}
    ),
    ("figures-response-times", "GET"): Rule(DISPATCHERS | {"outsider"}),
    ("intervention", "GET"): Rule(STAFF_OR_POLICE),
    ("intervention-transition", "POST"): Rule(
        STAFF_OR_POLICE, body=lambda c: {"to": "acknowledged"}
    ),
    ("intervention-reassign", "POST"): Rule(DISPATCHERS, body=lambda c: {"unit": c.spare_unit.pk}),
    # notifications
    ("push-devices", "POST"): Rule(SIGNED_IN, body=lambda c: {"token": "fcm-new-token"}),
    ("push-device", "DELETE"): Rule(frozenset({"resident"})),
    ("broadcasts", "GET"): Rule(SIGNED_IN),
    ("broadcasts", "POST"): Rule(
        SUPERVISORS,
        body=lambda c: {
            "title": "Water cut",
            "body": "No water tonight from 22:00.",
            "circle": {"center": point(), "radius_m": 500},
        },
    ),
    ("cap-index", "GET"): Rule(EVERYONE, public=True),
    ("cap-broadcast", "GET"): Rule(EVERYONE, public=True),
    # Documented as for operators and supervisors of the report's centre only.
    ("cap-report", "GET"): Rule(
        frozenset({"operator", "supervisor"}), kwargs=lambda c: {"report_id": c.alert.pk}
    ),
    # residents' rights and the access trail
    # Staff accounts belong to their centre: only app holders export or erase themselves.
    ("me-export", "GET"): Rule(MEMBERS | {"pending_resident"}),
    ("me", "DELETE"): Rule(MEMBERS | {"pending_resident"}, body=lambda c: {"password": PASSWORD}),
    ("access-records", "GET"): Rule(SUPERVISORS),
    # Open311
    ("open311-services", "GET"): Rule(EVERYONE, public=True),
    ("open311-service", "GET"): Rule(EVERYONE, public=True),
    # Open311 takes an api_key or an app token, never the console's session.
    ("open311-requests", "GET"): Rule(TOKEN_HOLDERS),
    ("open311-requests", "POST"): Rule(
        MEMBERS,
        body=lambda c: {"service_code": "fight", "lat": 48.8566, "long": 2.3522},
        multipart=True,
    ),
    ("open311-request", "GET"): Rule(frozenset({"resident", "police"})),
    ("open311-unknown", "GET"): Rule(NOBODY, public=True),
    # schema and docs
    ("schema", "GET"): Rule(EVERYONE, public=True),
    ("api-docs", "GET"): Rule(EVERYONE, public=True),
    # web pages. The console, broadcast, police and shop pages are shells that show their own
    # sign-in form to whoever is not allowed; their data only comes through the API.
    # The admin's staff (`is_staff`), their session verified by a second factor (conftest).
    ("admin:index", "GET"): Rule(SUPERVISORS),
    ("resident-app", "GET"): Rule(EVERYONE, public=True),
    ("console", "GET"): Rule(EVERYONE, public=True),
    ("response-times-page", "GET"): Rule(DISPATCHERS | {"outsider"}),
    # Signed-in staff who may not broadcast are told so (403); others see the sign-in form.
    ("broadcast-page", "GET"): Rule(EVERYONE - {"operator", "vetting", "outsider"}, public=True),
    ("police-app", "GET"): Rule(EVERYONE, public=True),
    ("alert-button", "GET"): Rule(EVERYONE, public=True),
}

# --- the URL conf -------------------------------------------------------------------------------

PREFIXES = ("api/", "open311/", "console/", "police/", "shop/", "app/")
PAGE_PREFIXES = ("console/", "police/", "shop/", "app/", "admin/")
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str
    methods: tuple[str, ...]
    groups: tuple[str, ...]

    @property
    def is_page(self) -> bool:
        return self.route.startswith(PAGE_PREFIXES)


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, namespace


def _methods(callback) -> tuple[str, ...]:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return ("GET",)  # a function view: a page
    found = tuple(m.upper() for m in ("get", *WRITE_METHODS) if hasattr(view, m))
    return found or ("GET",)


def endpoints() -> list[Endpoint]:
    found = []
    for route, pattern, namespace in _walk(get_resolver().url_patterns):
        name = ":".join(filter(None, [namespace, pattern.name]))
        if route.startswith("admin/"):
            if name != "admin:index":
                continue  # the admin's own pages: only its door is in the matrix
        elif not route.startswith(PREFIXES):
            continue
        groups = tuple(pattern.pattern.regex.groupindex)
        found.append(Endpoint(name or route, route, _methods(pattern.callback), groups))
    return found


@pytest.fixture
def cast(request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return Cast(request)


def url_of(endpoint: Endpoint, rule: Rule, cast: Cast) -> str:
    kwargs = {g: cast.kwargs[g] for g in endpoint.groups if g in cast.kwargs}
    if rule.kwargs:
        kwargs.update(rule.kwargs(cast))
    if endpoint.name == "open311-unknown":
        return "/open311/v2/discovery.json"
    return reverse(endpoint.name, kwargs=kwargs)


def send(client: APIClient, method: str, url: str, rule: Rule, cast: Cast):
    body = rule.body(cast) if rule.body else None
    if rule.query:
        url += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
    if method == "GET":
        return client.get(url)
    if rule.multipart:
        return client.generic(method, url, *_encoded_form(body or {}))
    return client.generic(
        method, url, b"" if body is None else _json(body), content_type="application/json"
    )


def _json(body) -> bytes:
    import json

    return json.dumps(body).encode()


def _encoded_form(body: dict) -> tuple[bytes, str]:
    from urllib.parse import urlencode

    return urlencode(body).encode(), "application/x-www-form-urlencoded"


def verdict(role: str, endpoint: Endpoint, method: str, rule: Rule, status: int) -> str | None:
    """What is wrong with `status` for this role, or None."""
    if status >= 500:
        return "server error"
    if role == ANON and not rule.public:
        allowed = {401, 403} | ({302} if endpoint.is_page else set())
        return None if status in allowed else "anonymous must get 401/403"
    may = role in rule.ok
    if may and not rule.lenient and not 200 <= status < 300:
        return "this role must get a 2xx"
    if may and rule.lenient and status in (401, 403):
        return "this role must get past the permission check"
    if not may and 200 <= status < 300:
        return "this role must not get a 2xx"
    if (
        role == "outsider"
        and not may
        and "operator" in rule.ok  # what an operator may do in their own centre...
        and _names_a_paris_object(endpoint)
        and status != 404
    ):
        # ...is a 404 in another's: they are not told a Paris id exists (STYLE.md rule 3).
        return "another centre's operator must get 404 for this centre's objects"
    return None


def _names_a_paris_object(endpoint: Endpoint) -> bool:
    return bool(set(endpoint.groups) - {"format", "service_code"})


def _start(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)[:200]
    return response.content[:200]


# --- the tests ------------------------------------------------------------------------------------


def test_the_table_covers_every_url():
    found = {(e.name, m) for e in endpoints() for m in e.methods}
    missing = sorted(found - set(TABLE))
    stale = sorted(set(TABLE) - found)
    assert not missing, (
        "These URL/methods have no line in TABLE (tests/security/test_permission_matrix.py): "
        + ", ".join(f"{n} {m}" for n, m in missing)
        + ". Add one saying which roles may get a 2xx."
    )
    assert not stale, "TABLE names URL/methods that no longer exist: " + ", ".join(
        f"{n} {m}" for n, m in stale
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_this_role_as_the_table_says(cast, role):
    client = cast.client(role)
    cookies = SimpleCookie(client.cookies)
    failures = []
    for endpoint in endpoints():
        for method in endpoint.methods:
            rule = TABLE.get((endpoint.name, method))
            if rule is None:
                continue  # test_the_table_covers_every_url says so
            url = url_of(endpoint, rule, cast)
            cache.clear()  # throttles, lockouts: each request starts fresh
            try:
                if rule.durable:
                    response = send(client, method, url, rule, cast)
                else:
                    with transaction.atomic():
                        response = send(client, method, url, rule, cast)
                        transaction.set_rollback(True)
            except Exception:
                failures.append(
                    f"{method} {url} ({endpoint.name}): raised\n{traceback.format_exc()}"
                )
                continue
            finally:
                client.cookies = SimpleCookie(cookies)  # a sign-out must not end the others
            problem = verdict(role, endpoint, method, rule, response.status_code)
            if problem:
                failures.append(
                    f"{method} {url} ({endpoint.name}): {response.status_code}, {problem}; "
                    f"{_start(response)!r}"
                )
    assert not failures, f"{role}:\n" + "\n".join(failures)
