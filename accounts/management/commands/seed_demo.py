"""A demo city: Paris and Nice supervision centres and an account for every role in each,
and the Paris Préfecture de Police's real camera sites (data/cameras/) in paris-csu.

Idempotent: centres are brought up to date, accounts that exist are left as they are (so a
changed password survives), and the same credentials are printed every time.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import services
from accounts.management.commands.create_centre import read_area_file
from accounts.models import STAFF_ROLES as ALL_STAFF
from accounts.models import Role, User
from accounts.signin import staff_device
from common.commands import JsonCommand
from config.env import env_str

BOUNDARIES = settings.BASE_DIR / "data" / "boundaries"
DEMO_DEVICES = [
    # A pharmacy near the Hôtel de Ville with its button, PINs 1234 (cancel) and 9999 (duress).
    [
        "--kind",
        "alert_button",
        "--centre",
        "paris-csu",
        "--lon",
        "2.3530",
        "--lat",
        "48.8570",
        "--name",
        "Pharmacie de l'Hôtel de Ville (démo)",
        "--owner",
        "paris-business",
        "--cancel-pin",
        "1234",
        "--duress-pin",
        "9999",
    ],
    [
        "--kind",
        "call_point",
        "--centre",
        "paris-csu",
        "--lon",
        "2.3488",
        "--lat",
        "48.8590",
        "--name",
        "Borne d'appel rue de Rivoli (démo)",
        "--sip-uri",
        "sip:borne-rivoli@demo.invalid",
    ],
]
PARIS_CAMERAS = settings.BASE_DIR / "data" / "cameras" / "paris_prefecture_police_cameras_2013.csv"

# (slug, name, prefix, organisation, outline, a real street address inside the city)
CENTRES = [
    (
        "paris-csu",
        "CSU de Paris",
        "PAR",
        "Ville de Paris",
        "paris.geojson",
        ("12 rue de Rivoli, 75004 Paris", 2.3554, 48.8556),
    ),
    (
        "nice-csu",
        "CSU de Nice",
        "NCE",
        "Ville de Nice",
        "commune-nice.geojson",
        ("5 rue de l'Hôtel de Ville, 06000 Nice", 7.2753, 43.6971),
    ),
]
STAFF_ROLES = [Role.OPERATOR, Role.SUPERVISOR, Role.VETTING, Role.POLICE]
DEFAULT_PASSWORD = "vigie-demo-2026"  # noqa: S105 - printed on purpose: these are demo accounts


class Command(JsonCommand):
    help = "Load the demo city (idempotent) and print its credentials."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="load the demo even with DJANGO_DEBUG=0"
        )

    def run(self, **options: Any) -> dict[str, Any]:
        if not settings.DEBUG and not options["force"]:
            # Demo accounts with a published password have no place on a real system.
            raise CommandError("refusing to load demo accounts with DJANGO_DEBUG=0 (use --force)")
        password = env_str("VIGIE_DEMO_PASSWORD", DEFAULT_PASSWORD)
        accounts: list[tuple[str, str, str]] = []
        created = 0
        for slug, name, prefix, organisation, outline, (address, lon, lat) in CENTRES:
            centre, _ = services.create_centre(
                slug,
                name=name,
                jurisdiction=read_area_file(str(BOUNDARIES / outline)),
                reference_prefix=prefix,
                organisation=services.ensure_organisation(organisation),
            )
            city = slug.split("-")[0]
            for role in [*STAFF_ROLES, Role.RESIDENT, Role.BUSINESS]:
                username = f"{city}-{role}"
                if not User.objects.filter(username=username).exists():
                    services.create_user(
                        username,
                        role=role,
                        centre=centre,
                        password=password,
                        email=f"{username}@demo.vigie.invalid",
                        full_name=f"Demo {role} ({city})",
                    )
                    created += 1
                accounts.append((username, role, slug))
            applicant = f"{city}-applicant"
            if not User.objects.filter(username=applicant).exists():
                services.enrol_resident(
                    username=applicant,
                    password=password,
                    email=f"{applicant}@demo.vigie.invalid",
                    phone="+33 6 00 00 00 00",
                    full_name=f"Demo applicant ({city})",
                    address=address,
                    address_location=Point(lon, lat, srid=4326),
                )
                created += 1
            accounts.append((applicant, "resident (pending)", slug))
        if not User.objects.filter(username="admin").exists():
            services.create_user(
                "admin",
                role=Role.ADMIN,
                centre=centre,
                password=password,
                email="admin@demo.vigie.invalid",
            )
            created += 1
        accounts.append(("admin", "admin", "all"))
        # accounts sits below cameras and never imports it: the command is the door.
        imported = io.StringIO()
        call_command("import_cameras", str(PARIS_CAMERAS), "--centre", "paris-csu", stdout=imported)
        *reported, last = imported.getvalue().strip().splitlines()
        for line in reported:  # rows it skipped, each with its reason
            self.stdout.write(line)
        cameras = json.loads(last)
        devices = self._demo_devices()
        units = [self._demo_unit(city) for city in ("paris", "nice")]

        self.stdout.write(f"Demo accounts (password for new ones: {password}):")
        for username, role, where in accounts:
            self.stdout.write(f"  {username:<20} {role:<20} {where}")
        authenticators = self._demo_authenticators([username for username, *_ in accounts])
        return {
            "centres": [c[0] for c in CENTRES],
            "accounts": len(accounts),
            "created": created,
            "cameras": {
                key: cameras[key] for key in ("created", "updated", "unchanged", "skipped")
            },
            "devices": devices,
            "units": units,
            "otp_uris": authenticators,
        }

    def _demo_authenticators(self, usernames: list[str]) -> dict[str, str]:
        """Staff sign in with a code from an authenticator app: each demo staff account gets
        one (kept across runs), and its secret is printed every time, as the passwords are."""
        staff = User.objects.filter(username__in=usernames, role__in=ALL_STAFF).order_by("pk")
        uris = {}
        for user in staff:
            device = staff_device(user) or services.set_up_two_factor(user)
            uris[user.username] = device.config_url
        if not settings.VIGIE_STAFF_OTP:
            self.stdout.write("Staff sign in without a code (VIGIE_STAFF_OTP=0).")
            return uris
        self.stdout.write(
            "Authenticator secrets of the demo staff (add one to an app such as FreeOTP or "
            "Aegis, or scan its otpauth:// URI as a QR code; VIGIE_STAFF_OTP=0 turns codes off):"
        )
        for username, uri in uris.items():
            secret = parse_qs(urlsplit(uri).query)["secret"][0]
            self.stdout.write(f"  {username:<20} {secret}  {uri}")
        return uris

    def _demo_unit(self, city: str) -> dict[str, Any]:
        """A police car crewed by the city's demo police officer (create_unit is idempotent)."""
        output = io.StringIO()
        call_command(
            "create_unit",
            "PM-01",
            "--centre",
            f"{city}-csu",
            "--members",
            f"{city}-police",
            stdout=output,
        )
        return json.loads(output.getvalue().strip().splitlines()[-1])

    def _demo_devices(self) -> list[dict[str, Any]]:
        """An alert button (the Paris demo business's) and a street call point, made once; their
        secrets are printed that one time, as `create_device` does."""
        # Looked up by name, not imported: accounts sits below alerts.
        if apps.get_model("alerts", "Device").objects.filter(centre__slug="paris-csu").exists():
            return []
        made = []
        for arguments in DEMO_DEVICES:
            output = io.StringIO()
            call_command("create_device", *arguments, stdout=output)
            made.append(json.loads(output.getvalue().strip().splitlines()[-1]))
        self.stdout.write("Demo devices (secrets shown this once):")
        for device in made:
            self.stdout.write(
                f"  device {device['id']} ({device['kind']}): secret {device['secret']}"
            )
        return made
