"""/open311/v2/: GeoReport v2 paths, each with its format as the extension (.json or .xml)."""

from django.urls import re_path

from reporting import open311

# The format is what follows the last dot; an unknown one is the spec's 404, never a 500.
FORMAT = r"\.(?P<format>[A-Za-z0-9]{1,12})"

urlpatterns = [
    re_path(rf"^services{FORMAT}$", open311.ServiceList.as_view(), name="open311-services"),
    re_path(
        rf"^services/(?P<service_code>[^/]+?){FORMAT}$",
        open311.ServiceDefinition.as_view(),
        name="open311-service",
    ),
    re_path(rf"^requests{FORMAT}$", open311.ServiceRequests.as_view(), name="open311-requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[^/]+?){FORMAT}$",
        open311.ServiceRequest.as_view(),
        name="open311-request",
    ),
    re_path(rf"^.*?(?:{FORMAT})?$", open311.UnknownPath.as_view(), name="open311-unknown"),
]
