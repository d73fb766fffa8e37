"""The cast every test can call on (STYLE.md rule 14), built through the services.

- `paris`, its `operator`, `supervisor`, `vetting_officer`, `police_officer`, `business`
  and an approved `resident`; `pending_resident` enrolled through the app;
- `other_resident`, a second approved resident of Paris;
- `saint_denis`, Paris's neighbour, with its `outsider_vetting_officer` and
  `outsider_operator`: the strangers every permission test needs;
- `button`, an alert button of Paris (cancel PIN BUTTON_PIN, duress PIN DURESS_PIN), and
  `call_point`, a street call point of Paris;
- `unit`, a Paris car crewed by `police_officer`, available, last seen 300 m from the
  Hôtel de Ville;
- `api`: a DRF client; `as_user(user)` returns one signed in as that user's app would be.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services
from accounts.api import TOKEN_ROLES
from accounts.models import Role
from tests.factories import (
    BUTTON_PIN,
    DURESS_PIN,
    PARIS_HOTEL_DE_VILLE,
    CentreFactory,
    UserFactory,
    device_at,
    enrol,
    moved,
)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the real Redis cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_is_verified(monkeypatch):
    """`force_login` leaves a session as the sign-in doors do: for staff who may use the admin
    (`is_staff`), verified by their second factor, which django-otp's admin asks for."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    force_login = Client.force_login

    def verified_force_login(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "authenticator"}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", verified_force_login)


@pytest.fixture(autouse=True)
def _categories(request):
    # Loaded by a data migration; a transactional test's flush removes them for the next test.
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if "transactional_db" in names or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker:
        request.getfixturevalue("db")
    else:
        return
    from reporting.categories import ensure_default_categories
    from reporting.models import Category

    if not Category.objects.exists():
        ensure_default_categories(Category)


@pytest.fixture
def paris(db):
    return CentreFactory()


@pytest.fixture
def saint_denis(db):
    return CentreFactory(
        slug="saint-denis-csu",
        name="CSU de Saint-Denis",
        reference_prefix="STD",
        outline_name="commune-saint-denis",
        organisation_name="Ville de Saint-Denis",
    )


@pytest.fixture
def operator(paris):
    return UserFactory(username="operator", role=Role.OPERATOR, centre=paris)


@pytest.fixture
def supervisor(paris):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, centre=paris)


@pytest.fixture
def vetting_officer(paris):
    return UserFactory(username="vetting", role=Role.VETTING, centre=paris)


@pytest.fixture
def outsider_vetting_officer(saint_denis):
    return UserFactory(username="vetting-sd", role=Role.VETTING, centre=saint_denis)


@pytest.fixture
def outsider_operator(saint_denis):
    return UserFactory(username="operator-sd", role=Role.OPERATOR, centre=saint_denis)


@pytest.fixture
def other_resident(paris):
    return UserFactory(username="neighbour", role=Role.RESIDENT, centre=paris)


@pytest.fixture
def police_officer(paris):
    return UserFactory(username="police", role=Role.POLICE, centre=paris)


@pytest.fixture
def resident(paris):
    return UserFactory(username="resident", role=Role.RESIDENT, centre=paris)


@pytest.fixture
def business(paris):
    return UserFactory(username="bakery", role=Role.BUSINESS, centre=paris)


@pytest.fixture
def admin_user(paris):
    return UserFactory(username="cityadmin", role=Role.ADMIN, centre=paris)


@pytest.fixture
def pending_resident(paris):
    return enrol("applicant")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    """A client signed in as the apps do: a token for members and police, a session for the
    other staff (who cannot get a token)."""

    def client_for(user):
        client = APIClient()
        if user.role in TOKEN_ROLES:
            client.credentials(HTTP_AUTHORIZATION=f"Token {services.issue_app_token(user)}")
        else:
            client.force_login(user)
        return client

    return client_for


@pytest.fixture
def button(paris, business):
    return device_at(
        paris, owner=business, cancel_pin=BUTTON_PIN, duress_pin=DURESS_PIN, heartbeat_interval_s=60
    )


@pytest.fixture
def call_point(paris):
    return device_at(
        paris,
        moved(PARIS_HOTEL_DE_VILLE, 120, 90),
        kind="call_point",
        name="Borne d'appel rue de Rivoli",
        sip_uri="sip:borne-rivoli@csu.paris.example",
    )


@pytest.fixture
def unit(paris, police_officer):
    from django.utils import timezone

    from dispatch.services import create_unit, record_position

    car = create_unit(centre=paris, callsign="PS-21", members=[police_officer])
    record_position(
        car,
        location=moved(PARIS_HOTEL_DE_VILLE, 300, 45),
        recorded_at=timezone.now(),
        accuracy_m=8,
        by=police_officer,
    )
    car.refresh_from_db()
    return car
