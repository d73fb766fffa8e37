from django.urls import path

from cameras import api

urlpatterns = [
    path("cameras/", api.CameraCollection.as_view(), name="cameras"),
]
