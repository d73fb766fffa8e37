"""Mounted at `/api/v1/me/` (config/urls.py)."""

from django.urls import path

from privacy import api

urlpatterns = [
    path("", api.MeView.as_view(), name="me"),
    path("export/", api.ExportView.as_view(), name="me-export"),
]
