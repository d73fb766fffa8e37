from django.urls import path

from alerts import api

urlpatterns = [
    path("alerts/trigger/", api.Trigger.as_view(), name="alert-trigger"),
    path("alerts/heartbeat/", api.Heartbeat.as_view(), name="alert-heartbeat"),
    path("alerts/press/", api.Press.as_view(), name="alert-press"),
    path("alerts/cancel/", api.Cancel.as_view(), name="alert-cancel"),
    path("alerts/pins/", api.Pins.as_view(), name="alert-pins"),
    path("alerts/", api.CurrentAlerts.as_view(), name="alerts"),
    path("devices/", api.DeviceList.as_view(), name="devices"),
    path("alerts/<int:report_id>/", api.AlertDetail.as_view(), name="alert"),
]
