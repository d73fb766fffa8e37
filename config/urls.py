from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.health import healthz
from dispatch.web_urls import figures_urlpatterns

admin.site.site_header = admin.site.site_title = "Vigie"
admin.site.index_title = "Administration"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("reporting.urls")),
    path("api/v1/", include("cameras.urls")),
    path("api/v1/", include("alerts.urls")),
    path("api/v1/", include("dispatch.urls")),
    path("api/v1/", include("notifications.urls")),
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
