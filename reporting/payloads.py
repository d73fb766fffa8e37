"""A report as apps, consoles and events see it (API.md, "A report")."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from cameras.payloads import link_payload
from common.geojson import PointField
from reporting.models import Attachment, Report


class AttachmentPayload(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "content_type", "size", "url"]

    def get_url(self, attachment: Attachment) -> str:
        # Never a public media folder: the file is served by an authorised view.
        return reverse("report-media", args=[attachment.report_id, attachment.pk])


class ReportPayload(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = PointField()
    centre = serializers.IntegerField(source="centre_id")
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    media = AttachmentPayload(source="attachments", many=True)
    cameras = serializers.SerializerMethodField()
    # Whether the report is kept past its centre's retention period for proceedings.
    legal_hold = serializers.BooleanField(source="on_legal_hold", read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "reference",
            "source",
            "category",
            "priority",
            "status",
            "description",
            "location",
            "accuracy_m",
            "occurred_at",
            "centre",
            "created_at",
            "media",
            "cameras",
            "incident",
            "acknowledged_by",
            "acknowledged_at",
            "outcome",
            "closing_note",
            "closed_at",
            "legal_hold",
        ]

    def get_cameras(self, report: Report) -> list[dict[str, Any]]:
        # Best first; empty until the links are computed, just after the report commits.
        links = report.camera_links.all()
        return [link_payload(link) for link in links]


def report_payload(report: Report) -> dict[str, Any]:
    return ReportPayload(report).data
