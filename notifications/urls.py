from django.urls import path

from notifications import api

urlpatterns = [
    path("push-devices/", api.PushDevices.as_view(), name="push-devices"),
    path("push-devices/<str:token>/", api.PushDeviceDetail.as_view(), name="push-device"),
    path("broadcasts/", api.Broadcasts.as_view(), name="broadcasts"),
]
