"""The CAP 1.2 feed, included at `api/v1/cap/` by config/urls.py (notifications.cap_api)."""

from django.urls import path

from notifications import cap_api

urlpatterns = [
    path("", cap_api.CapIndex.as_view(), name="cap-index"),
    path(
        "broadcasts/<int:broadcast_id>.xml", cap_api.BroadcastAlert.as_view(), name="cap-broadcast"
    ),
    path("reports/<int:report_id>.xml", cap_api.ReportAlert.as_view(), name="cap-report"),
]
