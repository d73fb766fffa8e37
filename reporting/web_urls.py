from django.urls import path

from reporting import web

urlpatterns = [
    path("", web.resident_app, name="resident-app"),
]
