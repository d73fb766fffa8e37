from django.urls import path

from live import web

urlpatterns = [
    path("", web.console_page, name="console"),
]
