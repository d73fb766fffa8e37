from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.health import healthz
from dispatch.web_urls import figures_urlpatterns

admin.site.site_header = admin.site.site_title = "Vigie"
admin.site.index_title = "Administration"
# The admin asks staff for their second factor too (django-otp's way: the one site every app
# registers on becomes the OTP site; accounts/admin_site.py adds lockout and the trail).
from accounts.admin_site import VigieAdminSite  # noqa: E402 - after admin.site is set up

admin.site.__class__ = VigieAdminSite

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL (?script): no inline code,
    # so the docs live under the same strict Content-Security-Policy as every page.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="common/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("reporting.urls")),
    path("api/v1/", include("cameras.urls")),
    path("api/v1/", include("alerts.urls")),
    path("api/v1/", include("dispatch.urls")),
    path("api/v1/", include("notifications.urls")),
    path("api/v1/me/", include("privacy.urls")),
    path("api/v1/", include("audit.urls")),
    path("api/v1/cap/", include("notifications.cap_urls")),
    path("open311/v2/", include("reporting.open311_urls")),
    path("app/", include("reporting.web_urls")),
    path("console/figures/", include(figures_urlpatterns)),
    path("console/broadcast/", include("notifications.web_urls")),
    path("console/", include("live.web_urls")),
    path("police/", include("dispatch.web_urls")),
    path("shop/", include("alerts.web_urls")),
]

handler400 = "common.errors.bad_request_view"
handler403 = "common.errors.permission_denied_view"
handler404 = "common.errors.not_found_view"
handler500 = "common.errors.server_error_view"
