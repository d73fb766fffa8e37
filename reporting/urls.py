from django.urls import path

from reporting import api, custody_api, ptz_api

urlpatterns = [
    # Here rather than in cameras/: pointing at a report resolves the report, and `cameras`
    # sits below `reporting` (ARCHITECTURE.md, "Imports point one way").
    path("cameras/<int:camera_id>/point/", ptz_api.PointCamera.as_view(), name="camera-point"),
    path("categories/", api.CategoryList.as_view(), name="categories"),
    path("reports/", api.ReportListCreate.as_view(), name="reports"),
    path("reports/<int:report_id>/", api.ReportDetail.as_view(), name="report"),
    path(
        "reports/<int:report_id>/acknowledge/",
        api.AcknowledgeReport.as_view(),
        name="report-acknowledge",
    ),
    path("reports/<int:report_id>/merge/", api.MergeReport.as_view(), name="report-merge"),
    path("reports/<int:report_id>/close/", api.CloseReport.as_view(), name="report-close"),
    path(
        "reports/<int:report_id>/duplicates/",
        api.ReportDuplicates.as_view(),
        name="report-duplicates",
    ),
    path("reports/<int:report_id>/cameras/", api.ReportCameras.as_view(), name="report-cameras"),
    path(
        "reports/<int:report_id>/media/<int:attachment_id>/",
        api.ReportMedia.as_view(),
        name="report-media",
    ),
    path(
        "reports/<int:report_id>/legal-hold/",
        custody_api.LegalHold.as_view(),
        name="report-legal-hold",
    ),
    path("reports/<int:report_id>/share/", custody_api.ShareReport.as_view(), name="report-share"),
]
