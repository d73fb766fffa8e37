from django.urls import path

from alerts import web

urlpatterns = [
    path("", web.alert_button_page, name="alert-button"),
]
