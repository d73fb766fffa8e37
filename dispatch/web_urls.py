from django.urls import path

from dispatch import figures_web, web

urlpatterns = [
    path("", web.police_app, name="police-app"),
]

figures_urlpatterns = [
    path("", figures_web.response_times_page, name="response-times-page"),
]
