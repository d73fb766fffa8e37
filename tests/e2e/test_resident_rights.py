"""Residents' rights in the resident web app, on a phone-sized Chromium against a real daphne:
"My data" downloads the member's JSON file and deletes the account with the password."""

from __future__ import annotations

import json

import pytest

from accounts.models import Role, User, VettingStatus
from tests.e2e.test_resident_app import phone
from tests.factories import PASSWORD, CentreFactory, UserFactory, enrol, file_report

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def resident_with_a_report(daphne_server):
    resident = UserFactory(username="camille", role=Role.RESIDENT, centre=CentreFactory())
    return resident, file_report(resident, description="Tags sur la porte de l'école")


def test_a_resident_downloads_their_data_then_deletes_their_account(
    daphne_server, resident_with_a_report, tmp_path, settings
):
    resident, report = resident_with_a_report
    with phone(geolocation=None) as device:
        page = device.page
        device.sign_in(daphne_server, "camille")
        page.wait_for_selector("#report-view:not([hidden])")

        page.click("#tab-data")
        page.wait_for_selector("#data-view:not([hidden])")
        assert page.is_hidden("#data-back")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        page.screenshot(
            path=str(settings.BASE_DIR / "var" / "resident-my-data.png"), full_page=True
        )
        with page.expect_download() as download:
            page.click("#export")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        page.wait_for_selector("#export-status:has-text('Fichier enregistré')")

        # A wrong password: told so, still signed in, nothing deleted.
        page.fill("#erase-password", "not-my-password")
        page.check("#erase-confirm")
        page.click("#erase")
        page.wait_for_selector("#erase-error:has-text('Mot de passe incorrect')")
        assert page.is_visible("#data-view")
        assert page.evaluate("() => localStorage.length") == 1

        page.fill("#erase-password", PASSWORD)
        page.click("#erase")
        page.wait_for_selector("#signin-view:not([hidden])")
        notice = page.text_content("#signin-error")
        stored = page.evaluate("() => localStorage.length")
        problems = device.csp_violations + device.errors

    assert problems == []
    assert saved.name.startswith("vigie-camille-")
    assert saved.suffix == ".json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["account"]["username"] == "camille"
    assert [r["reference"] for r in data["reports"]] == [report.reference]
    assert notice == "Votre compte a été supprimé."
    assert stored == 0
    member = User.objects.get(pk=resident.pk)
    assert member.username == f"erased-{resident.pk}"
    assert member.email == ""
    assert not member.is_active
    report.refresh_from_db()
    assert report.author_id is None
    assert report.description == "Tags sur la porte de l'école"


def test_a_pending_applicant_reaches_my_data_from_their_status_page(daphne_server):
    CentreFactory()
    applicant = enrol("applicant")
    with phone(locale="en-GB", geolocation=None) as device:
        page = device.page
        device.sign_in(daphne_server, "applicant")
        page.wait_for_selector("#status-view:not([hidden])")

        page.click("#status-data")
        page.wait_for_selector("#data-view:not([hidden])")
        assert page.is_hidden("#tabs")
        assert page.text_content("#data-title") == "My data"
        page.click("#erase")  # neither password nor confirmation
        page.wait_for_selector("#erase-error:has-text('Enter your password')")
        page.fill("#erase-password", PASSWORD)
        page.click("#erase")
        page.wait_for_selector("#erase-error:has-text('Tick the box')")

        page.click("#data-back")
        page.wait_for_selector("#status-view:not([hidden])")
        problems = device.csp_violations + device.errors

    assert problems == []
    member = User.objects.get(pk=applicant.pk)
    assert (member.username, member.status) == ("applicant", VettingStatus.PENDING)
    assert member.is_active
