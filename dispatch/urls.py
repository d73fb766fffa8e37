from django.urls import path

from dispatch import api, figures_api

urlpatterns = [
    path("units/", api.UnitCollection.as_view(), name="units"),
    path("units/<int:unit_id>/position/", api.UnitPositionView.as_view(), name="unit-position"),
    path("units/<int:unit_id>/status/", api.UnitStatusView.as_view(), name="unit-status"),
    path(
        "reports/<int:report_id>/suggested-units/",
        api.SuggestedUnits.as_view(),
        name="report-suggested-units",
    ),
    path("interventions/", api.InterventionCollection.as_view(), name="interventions"),
    path(
        "figures/response-times/",
        figures_api.ResponseTimes.as_view(),
        name="figures-response-times",
    ),
    path(
        "interventions/<int:intervention_id>/",
        api.InterventionDetail.as_view(),
        name="intervention",
    ),
    path(
        "interventions/<int:intervention_id>/transition/",
        api.TransitionIntervention.as_view(),
        name="intervention-transition",
    ),
    path(
        "interventions/<int:intervention_id>/reassign/",
        api.ReassignIntervention.as_view(),
        name="intervention-reassign",
    ),
]
