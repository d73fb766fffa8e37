from django.urls import path

from notifications import web

urlpatterns = [
    path("", web.broadcast_page, name="broadcast-page"),
]
