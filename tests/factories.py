"""factory_boy factories that build through the services, as every other entry point does."""

from __future__ import annotations

import json

import factory
from django.conf import settings
from django.contrib.gis.geos import Point

from accounts import services
from accounts.models import MonitoringCentre, Role, User
from common.geojson import parse_area

PASSWORD = "correct-horse-battery"

# Real places (WGS 84), each well inside its commune.
PARIS_HOTEL_DE_VILLE = Point(2.3522, 48.8566, srid=4326)
SAINT_DENIS_BASILICA = Point(2.3597, 48.9356, srid=4326)
NICE_PLACE_MASSENA = Point(7.2700, 43.6975, srid=4326)
LYON_BELLECOUR = Point(4.8320, 45.7578, srid=4326)  # outside every test centre


def outline(name: str):
    path = settings.BASE_DIR / "data" / "boundaries" / f"{name}.geojson"
    return parse_area(json.loads(path.read_text(encoding="utf-8")))


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringCentre

    slug = "paris-csu"
    name = "CSU de Paris"
    reference_prefix = "PAR"
    outline_name = "paris"
    organisation_name = "Ville de Paris"

    @classmethod
    def _create(cls, model_class, slug, name, reference_prefix, outline_name, organisation_name):
        centre, _ = services.create_centre(
            slug,
            name=name,
            jurisdiction=outline(outline_name),
            reference_prefix=reference_prefix,
            organisation=services.ensure_organisation(organisation_name),
        )
        return centre


class UserFactory(factory.django.DjangoModelFactory):
    """An account made by the city (approved)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OPERATOR
    centre = factory.SubFactory(CentreFactory)
    address_location = None

    @classmethod
    def _create(cls, model_class, username, role, centre, address_location):
        user, _ = services.create_user(
            username,
            role=role,
            centre=centre,
            password=PASSWORD,
            email=f"{username}@example.org",
            address_location=address_location,
        )
        return user


def enrol(username: str = "applicant", where: Point = PARIS_HOTEL_DE_VILLE) -> User:
    """A resident who enrolled through the app and is waiting for approval."""
    return services.enrol_resident(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        phone="+33 6 12 34 56 78",
        full_name="Camille Martin",
        address="1 place de l'Hôtel de Ville, 75004 Paris",
        address_location=where,
    )


def point_json(point: Point) -> dict:
    return {"type": "Point", "coordinates": [point.x, point.y]}


def file_report(
    author: User, where: Point = PARIS_HOTEL_DE_VILLE, category: str = "fight", **fields
):
    """A report made through the intake service, as the API makes it."""
    from reporting.models import Category, Source
    from reporting.services.intake import create_report

    return create_report(
        source=Source.BUSINESS if author.role == Role.BUSINESS else Source.RESIDENT,
        author=author,
        category=Category.objects.get(code=category),
        location=where,
        **fields,
    )


def moved(point: Point, metres: float, bearing_deg: float) -> Point:
    """The point `metres` away from `point` towards `bearing_deg` (clockwise from north), on a
    sphere of radius 6,371 km: exact enough at a few hundred metres to check PostGIS by hand."""
    import math

    radius = 6_371_000
    lat, lon = math.radians(point.y), math.radians(point.x)
    angle, bearing = metres / radius, math.radians(bearing_deg)
    lat2 = math.asin(
        math.sin(lat) * math.cos(angle) + math.cos(lat) * math.sin(angle) * math.cos(bearing)
    )
    lon2 = lon + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat),
        math.cos(angle) - math.sin(lat) * math.sin(lat2),
    )
    return Point(math.degrees(lon2), math.degrees(lat2), srid=4326)


def camera_at(centre, where: Point, external_id: str = "cam-1", **fields):  # noqa: ANN001, ANN201
    """A camera registered as an import would register it."""
    from cameras.services import upsert_camera

    camera, _ = upsert_camera(centre, external_id, location=where, **fields)
    return camera


def database_url_for_servers() -> str:
    """The test database as a DATABASE_URL, for the servers and workers a test starts."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    where = db["HOST"] + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgis://{quote(db['USER'] or '')}@{where}/{db['NAME']}"


BUTTON_PIN, DURESS_PIN = "2468", "1357"


def device_at(centre, where: Point = PARIS_HOTEL_DE_VILLE, **fields):  # noqa: ANN001, ANN201
    """A device registered as `manage.py create_device` would register it."""
    from alerts.services import register_device

    fields.setdefault("kind", "alert_button")
    fields.setdefault("name", "Pharmacie de l'Hôtel de Ville")
    return register_device(centre=centre, location=where, **fields)


def post_signed(client, path: str, device, body=b"{}", *, timestamp=None, **headers):  # noqa: ANN001, ANN201
    """POST `body` (bytes, or a dict sent as JSON) signed with the device's secret, as its
    firmware would; `headers` may override any header, the signature included."""
    import json

    from alerts.signing import signed_headers

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signed_headers(device, raw, timestamp=timestamp)
    signed.update(headers)
    return client.generic(
        "POST",
        path,
        raw,
        content_type="application/json",
        headers=signed,
    )


# --- two-factor sign-in (issue 9) -----------------------------------------------------------------
def totp_device_for(user: User):  # noqa: ANN201
    """The staff member's authenticator, as `manage.py create_user` sets it up (made if none)."""
    from accounts.signin import staff_device

    return staff_device(user) or services.set_up_two_factor(user)


def current_otp(device) -> str:  # noqa: ANN001
    """A code the device takes now: the current step's, or the next one's (within the allowed
    drift) when this step's was spent already, since django-otp accepts a code only once."""
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    now = (int(time.time()) - device.t0) // device.step + device.drift
    code = hotp(device.bin_key, max(now, device.last_t + 1), digits=device.digits)
    return f"{code:0{device.digits}d}"


def verified_login(client, user: User) -> None:  # noqa: ANN001
    """`client.force_login`, plus the mark the second factor leaves on the session (the admin
    asks for it): a session as the sign-in doors leave it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_for(user).persistent_id
    session.save()


def otp_for(username: str) -> str:
    """`current_otp` of this staff member's authenticator (made if none), callable where a
    browser's event loop runs in the test's thread (the e2e pages), where the ORM may not go:
    the reads run in a thread of their own, whose connection is closed after."""
    import threading

    from django.db import connection

    codes: list[str] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            codes.append(current_otp(totp_device_for(User.objects.get(username=username))))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    if failures:
        raise failures[0]
    return codes[0]
