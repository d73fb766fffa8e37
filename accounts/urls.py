from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenLoginView.as_view(), name="auth-token"),
    path("auth/session/", api.SessionLoginView.as_view(), name="auth-session"),
    path("residents/", api.ResidentEnrolmentView.as_view(), name="resident-enrol"),
    *[
        path(
            f"residents/<int:member_id>/{action}/",
            api.VettingActionView.as_view(action=action),
            name=f"resident-{action}",
        )
        for action in ("approve", "suspend", "revoke")
    ],
]
