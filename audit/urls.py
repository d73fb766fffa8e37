from django.urls import path

from audit import api

urlpatterns = [
    path("access-records/", api.AccessRecordList.as_view(), name="access-records"),
]
