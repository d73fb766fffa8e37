"""The permission matrix's cast: who asks (one client per role) and the objects every URL's
parameters point at (tests/security/test_permission_matrix.py)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts import services as accounts_services
from accounts.api import TOKEN_ROLES
from tests.factories import PARIS_HOTEL_DE_VILLE, camera_at, file_report, moved

ANON = "anonymous"
ROLES = [
    ANON,
    "resident",
    "pending_resident",
    "business",
    "operator",
    "supervisor",
    "vetting",
    "police",
    "admin",
    "outsider",  # an operator of Saint-Denis, before every Paris object
]
# The conftest fixture of each role, where its name differs.
FIXTURE_OF = {
    "vetting": "vetting_officer",
    "police": "police_officer",
    "admin": "admin_user",
    "outsider": "outsider_operator",
}


class Cast:
    """The objects every URL's parameters point at: all of Paris."""

    def __init__(self, request) -> None:
        get = request.getfixturevalue
        from alerts.models import Alert
        from alerts.services import trigger_alert
        from dispatch.services import create_unit, dispatch_unit
        from notifications.services import broadcast_to_area, register_push_device
        from reporting.media import check_upload

        self.paris, self.saint_denis = get("paris"), get("saint_denis")
        self.users = {role: get(FIXTURE_OF.get(role, role)) for role in ROLES if role != ANON}
        self.pending = self.users["pending_resident"]
        self.other_resident = get("other_resident")
        self.unit = get("unit")
        self.spare_unit = create_unit(
            centre=self.paris, callsign="PS-40", members=[self.users["police"]]
        )
        self.camera = camera_at(self.paris, moved(PARIS_HOTEL_DE_VILLE, 60, 180), kind="ptz")
        out = io.BytesIO()
        Image.new("RGB", (32, 24), (10, 120, 40)).save(out, format="JPEG")
        photo = check_upload(SimpleUploadedFile("a.jpg", out.getvalue(), "image/jpeg"))
        resident = self.users["resident"]
        self.report = file_report(resident, media=[photo])
        self.attachment = self.report.attachments.get()
        self.other_report = file_report(
            self.other_resident, moved(PARIS_HOTEL_DE_VILLE, 40, 90), category="theft"
        )
        self.intervention = dispatch_unit(
            self.report, unit=self.unit, operator=self.users["operator"]
        )
        button = get("button")
        self.alert = trigger_alert(button, kind="panic", channel=Alert.Channel.HTTP).report
        register_push_device(resident, token="fcm-resident-token", platform="android")
        self.broadcast = broadcast_to_area(
            centre=self.paris,
            author=self.users["supervisor"],
            title="Road closed",
            body="Avenue closed for the marathon.",
            severity="Moderate",
            area=_square_around(PARIS_HOTEL_DE_VILLE),
            expires_at=timezone.now() + timedelta(hours=2),
        )
        self.kwargs = {
            "report_id": self.report.pk,
            "attachment_id": self.attachment.pk,
            "member_id": self.other_resident.pk,
            "camera_id": self.camera.pk,
            "unit_id": self.unit.pk,
            "intervention_id": self.intervention.pk,
            "broadcast_id": self.broadcast.pk,
            "token": "fcm-resident-token",
            "service_code": "fight",
            "service_request_id": self.report.reference,
            "format": "json",
        }

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role == ANON:
            return client
        user = self.users[role]
        if user.role in TOKEN_ROLES:
            token = accounts_services.issue_app_token(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        else:
            client.force_login(user)
        return client


def _square_around(p, half: float = 0.01):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    x, y = p.x, p.y
    ring = ((x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half))
    return MultiPolygon(Polygon((*ring, ring[0]), srid=4326), srid=4326)
