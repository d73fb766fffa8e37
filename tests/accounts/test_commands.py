"""Set-up commands: idempotent, and their last line is one JSON object for scripts."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import MonitoringCentre, User, VettingStatus
from tests.factories import PASSWORD

PARIS = str(settings.BASE_DIR / "data" / "boundaries" / "paris.geojson")


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), lines


def fail(*args):
    """Run a command that must fail; return the error object of its last line."""
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])["error"]


def test_create_centre_creates_then_updates(db):
    first, _ = run(
        "create_centre",
        "paris-csu",
        "--name",
        "CSU de Paris",
        "--jurisdiction",
        PARIS,
        "--prefix",
        "PAR",
        "--organisation",
        "Ville de Paris",
    )
    again, _ = run(
        "create_centre",
        "paris-csu",
        "--name",
        "CSU Paris Centre",
        "--jurisdiction",
        PARIS,
        "--prefix",
        "PAR",
    )

    assert first["created"] is True
    assert again["created"] is False
    assert first["id"] == again["id"]
    centre = MonitoringCentre.objects.get()
    assert centre.name == "CSU Paris Centre"
    assert centre.reference_prefix == "PAR"
    assert centre.jurisdiction.geom_type == "MultiPolygon"
    assert MonitoringCentre.objects.filter(jurisdiction__covers="POINT(2.3522 48.8566)").exists()


def test_create_centre_derives_a_prefix_from_the_slug(db):
    result, _ = run(
        "create_centre",
        "nimes-csu",
        "--name",
        "CSU de Nîmes",
        "--jurisdiction",
        str(settings.BASE_DIR / "data/boundaries/commune-nimes.geojson"),
    )
    assert result["prefix"] == "NIM"
    assert result["organisation"] == "CSU de Nîmes"


def test_create_centre_with_an_unreadable_file_ends_with_a_json_error(db, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Point", "coordinates": [2, 48]}')
    error = fail("create_centre", "x-csu", "--name", "X", "--jurisdiction", str(bad))
    assert error["message"]
    assert not MonitoringCentre.objects.exists()


def test_create_user_makes_an_approved_account_in_its_centre(paris):
    result, _ = run(
        "create_user",
        "dupont",
        "--role",
        "operator",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
    )
    assert result == {
        "id": result["id"],
        "username": "dupont",
        "role": "operator",
        "status": "approved",
        "centres": ["paris-csu"],
        "created": True,
        "otp_uri": result["otp_uri"],  # staff get an authenticator (test_two_factor.py)
    }
    assert result["otp_uri"].startswith("otpauth://totp/")
    user = User.objects.get(username="dupont")
    assert user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["operator"]


def test_create_user_reads_the_password_from_the_environment(paris, monkeypatch):
    monkeypatch.setenv("VIGIE_PASSWORD", PASSWORD)
    result, _ = run("create_user", "martin", "--role", "police", "--centre", "paris-csu")
    assert result["created"] is True
    assert User.objects.get(username="martin").check_password(PASSWORD)


def test_a_resident_without_a_point_gets_one_inside_the_centre(paris):
    run(
        "create_user",
        "voisin",
        "--role",
        "resident",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
    )
    resident = User.objects.get(username="voisin")
    assert resident.status == VettingStatus.APPROVED
    assert paris.jurisdiction.covers(resident.address_location)


def test_a_resident_point_outside_the_centre_is_refused(paris):
    error = fail(
        "create_user",
        "voisin",
        "--role",
        "resident",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
        "--lon",
        "7.27",
        "--lat",
        "43.70",
    )
    assert error["code"] == "outside_jurisdiction"
    assert not User.objects.filter(username="voisin").exists()


def test_create_user_is_idempotent(paris):
    run(
        "create_user",
        "dupont",
        "--role",
        "operator",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
    )
    again, _ = run(
        "create_user",
        "dupont",
        "--role",
        "supervisor",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
    )
    assert again["created"] is False
    assert User.objects.filter(username="dupont").count() == 1
    assert User.objects.get(username="dupont").role == "supervisor"


def test_seed_demo_is_idempotent_and_prints_the_accounts(db, settings):
    settings.DEBUG = True  # as under `make run`
    first, lines = run("seed_demo")
    counts = (User.objects.count(), MonitoringCentre.objects.count())
    again, _ = run("seed_demo")

    assert first["created"] == 15
    assert again["created"] == 0
    assert (User.objects.count(), MonitoringCentre.objects.count()) == counts == (15, 2)
    assert set(MonitoringCentre.objects.values_list("reference_prefix", flat=True)) == {
        "PAR",
        "NCE",
    }
    assert any("nice-vetting" in line for line in lines)
    # Every demo staff account has an authenticator, printed with the credentials every time.
    staff = ["paris-operator", "paris-supervisor", "paris-vetting", "paris-police", "admin"]
    assert set(staff) <= set(first["otp_uris"])
    assert first["otp_uris"] == again["otp_uris"]
    assert "paris-resident" not in first["otp_uris"]
    secret = parse_qs(urlsplit(first["otp_uris"]["paris-operator"]).query)["secret"][0]
    assert any(line.split()[:2] == ["paris-operator", secret] for line in lines)
    assert User.objects.get(username="paris-applicant").status == "pending"
    nice = MonitoringCentre.objects.get(slug="nice-csu")
    assert User.objects.get(username="nice-resident").centres.get() == nice


def test_seed_demo_refuses_a_production_system(db, settings):
    settings.DEBUG = False
    error = fail("seed_demo")
    assert error["code"] == "command_error"
    assert not User.objects.exists()


def test_create_user_leaves_a_revoked_member_revoked_and_at_home(paris, vetting_officer):
    from django.contrib.gis.geos import Point

    from accounts import services

    home = Point(2.3400, 48.8600, srid=4326)
    run(
        "create_user",
        "voisin",
        "--role",
        "resident",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
        "--lon",
        "2.34",
        "--lat",
        "48.86",
    )
    member = User.objects.get(username="voisin")
    services.revoke_member(member, by=vetting_officer, reason="abuse")
    history = member.vetting_decisions.count()

    again, _ = run(
        "create_user",
        "voisin",
        "--role",
        "resident",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
    )

    member.refresh_from_db()
    assert again["status"] == member.status == "revoked"
    assert member.address_location.equals_exact(home, 1e-9)
    assert member.vetting_decisions.count() == history


def test_create_user_with_a_taken_email_ends_with_a_json_error(paris, resident):
    error = fail(
        "create_user",
        "other",
        "--role",
        "operator",
        "--centre",
        "paris-csu",
        "--password",
        PASSWORD,
        "--email",
        "RESIDENT@example.org",
    )
    assert error["code"] == "duplicate_email"
    assert not User.objects.filter(username="other").exists()


def test_a_polygon_without_area_is_refused_and_nothing_is_left(db, tmp_path):
    from accounts.models import Organisation

    flat = tmp_path / "flat.geojson"
    flat.write_text('{"type": "Polygon", "coordinates": [[[2,48],[3,48],[2,48],[2,48]]]}')
    error = fail("create_centre", "flat-csu", "--name", "Flat", "--jurisdiction", str(flat))
    assert error["message"]
    assert not Organisation.objects.exists()
