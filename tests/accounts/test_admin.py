"""The admin goes through the services: it cannot make an account or save a bad jurisdiction."""

from __future__ import annotations

import json

from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts.admin import MonitoringCentreForm
from accounts.models import MonitoringCentre, User


def test_accounts_are_not_added_in_the_admin(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert site._registry[User].has_add_permission(request) is False


def test_role_status_and_groups_are_read_only_in_the_admin(admin_user):
    readonly = site._registry[User].readonly_fields
    assert {"role", "status", "groups", "is_superuser"} <= set(readonly)


def _form(paris, geometry):
    return MonitoringCentreForm(
        data={
            "organisation": paris.organisation_id,
            "slug": "paris-csu",
            "name": "CSU de Paris",
            "reference_prefix": "PAR",
            "retention_days": 30,
            "jurisdiction": json.dumps(geometry),
        },
        instance=paris,
    )


def test_the_centre_form_refuses_a_crs(paris):
    square = {
        "type": "MultiPolygon",
        "coordinates": [[[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.9], [2.3, 48.8]]]],
        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
    }
    form = _form(paris, square)
    assert not form.is_valid()
    assert "crs" in str(form.errors["jurisdiction"])


def test_the_centre_form_repairs_a_self_intersecting_outline(paris):
    bow_tie = {
        "type": "MultiPolygon",
        "coordinates": [[[[2.3, 48.8], [2.4, 48.9], [2.4, 48.8], [2.3, 48.9], [2.3, 48.8]]]],
    }
    form = _form(paris, bow_tie)
    assert form.is_valid(), form.errors
    form.save()
    centre = MonitoringCentre.objects.get(pk=paris.pk)
    assert centre.jurisdiction.geom_type == "MultiPolygon"
    assert centre.jurisdiction.valid
