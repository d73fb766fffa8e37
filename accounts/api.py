"""Accounts API (API.md, "Accounts and vetting"): thin views over accounts.services."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.middleware.csrf import get_token
from django_otp import login as verified_login
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts import services, signin
from accounts.models import STAFF_ROLES, Role, User
from accounts.permissions import requires
from accounts.queries import member_for_user
from accounts.sessions import start_session_clock
from common.errors import NotAllowed
from common.geojson import PointField
from common.idempotency import idempotent

_THROTTLES = [AnonRateThrottle, UserRateThrottle, ScopedRateThrottle]
# The apps that hold tokens: residents', businesses' and the police app (API.md, Conventions).
TOKEN_ROLES = frozenset({Role.RESIDENT, Role.BUSINESS, Role.POLICE})

# The refusals of a sign-in, for the schema (accounts/signin.py says when each happens).
_SIGN_IN_REFUSALS = {
    401: OpenApiResponse(
        description="invalid_credentials; otp_required (staff: send `otp`); otp_invalid"
    ),
    403: OpenApiResponse(description="account_revoked; otp_not_set_up; wrong door for the role"),
    429: OpenApiResponse(description="locked_out or throttled, with Retry-After"),
}


class CredentialsInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    # The current code of a staff member's authenticator app (the police app's officers).
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class SessionCredentialsInput(CredentialsInput):
    pass


class TokenLoginView(APIView):
    """App sign-in: a token for `Authorization: Token <key>`, with the account's role and status.

    Pending and suspended members get a token too, so their app can say where they stand;
    what they may not do is refused later with a 403 that says why. Police officers are staff:
    they also give the code of their authenticator app (`otp`).
    """

    permission_classes = [AllowAny]
    throttle_classes = _THROTTLES
    throttle_scope = "login"

    def get_authenticators(self) -> list:
        # Signing in needs no credentials; signing out (DELETE) is done with the token itself.
        if getattr(self.request, "method", None) == "DELETE":
            return [TokenAuthentication()]
        return []

    def get_permissions(self) -> list:
        if getattr(self.request, "method", None) == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Sign-out: the token in the Authorization header is revoked."""
        services.end_app_token(request.auth)
        signin.signed_out(request._request, request.user, door="token")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=CredentialsInput,
        examples=[
            OpenApiExample(
                "Sign-in", value={"username": "camille", "password": "…"}, request_only=True
            ),
            OpenApiExample(
                "A police officer",
                value={"username": "agent-12", "password": "…", "otp": "492039"},
                request_only=True,
            ),
            OpenApiExample(
                "A pending member",
                value={"token": "3f9c…", "role": "resident", "status": "pending"},
                response_only=True,
            ),
        ],
        responses={
            200: inline_serializer(
                "TokenLogin",
                {
                    "token": serializers.CharField(),
                    "role": serializers.CharField(),
                    "status": serializers.CharField(),
                },
            ),
            **_SIGN_IN_REFUSALS,
        },
    )
    def post(self, request: Request) -> Response:
        data = CredentialsInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, device = signin.sign_in(
            request._request,
            **data.validated_data,
            door="token",
            roles=TOKEN_ROLES,
            # Centre staff sign in with a session.
            wrong_role=NotAllowed(
                "Staff sign in at /api/v1/auth/session/.", code="use_session_login"
            ),
        )
        token = services.issue_app_token(user)
        signin.signed_in(request._request, user, door="token", device=device)
        return Response({"token": token, "role": user.role, "status": user.status})


def _centres(user: User) -> list[dict]:
    return [{"id": c.pk, "slug": c.slug, "name": c.name} for c in user.centres.order_by("pk")]


_SESSION_OUTPUT = inline_serializer(
    "SessionLogin",
    {
        "username": serializers.CharField(),
        "role": serializers.CharField(),
        "centres": serializers.ListField(child=serializers.DictField()),
    },
)


class SessionLoginView(APIView):
    """Staff sign-in for the console and police web apps: a session cookie and a CSRF cookie.

    GET says who is signed in; the console calls it when someone uses the page, which keeps
    a session in use from ending idle (accounts/sessions.py).
    """

    permission_classes = [AllowAny]
    throttle_classes = _THROTTLES
    throttle_scope = "login"

    def get_authenticators(self) -> list:
        # Signing in needs no prior credentials (and so no CSRF check); signing out does.
        request = getattr(self, "request", None)
        if request is not None and request.method == "POST":
            return []
        return super().get_authenticators()

    def get_throttles(self) -> list:
        # The keep-alive is not a sign-in: it counts against the user's rate, not the login one.
        if getattr(self.request, "method", None) == "GET":
            return [UserRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        responses={200: _SESSION_OUTPUT, 401: OpenApiResponse(description="not signed in")}
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not user.is_authenticated:
            raise NotAuthenticated("Not signed in.")
        return Response({"username": user.username, "role": user.role, "centres": _centres(user)})

    @extend_schema(
        request=SessionCredentialsInput,
        examples=[
            OpenApiExample(
                "Sign-in",
                value={"username": "dominique", "password": "…", "otp": "492039"},
                request_only=True,
            )
        ],
        responses={200: _SESSION_OUTPUT, **_SIGN_IN_REFUSALS},
    )
    def post(self, request: Request) -> Response:
        data = SessionCredentialsInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, device = signin.sign_in(
            request._request,
            **data.validated_data,
            door="session",
            roles=STAFF_ROLES,
            wrong_role=NotAllowed("Only centre staff and police sign in here.", code="staff_only"),
        )
        login(request._request, user)
        if device is not None:
            verified_login(request._request, device)  # a verified session: the admin asks for it
        start_session_clock(request._request.session)
        get_token(request._request)  # sets the CSRF cookie the web apps send back
        signin.signed_in(request._request, user, door="session", device=device)
        return Response({"username": user.username, "role": user.role, "centres": _centres(user)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated("Not signed in.")
        signin.signed_out(request._request, request.user, door="session")
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnrolmentInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(
        max_length=32,
        validators=[RegexValidator(r"^\+?[0-9][0-9 .()-]{5,30}$", "Enter a phone number.")],
    )
    full_name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=300)
    address_location = PointField()


class EnrolmentOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    centre = serializers.SerializerMethodField()

    def get_centre(self, member: User) -> int:
        return member.centres.values_list("pk", flat=True).get()


class ResidentEnrolmentView(APIView):
    """A resident applies to the vigilant-neighbours programme of the centre covering their
    address; they are pending until a vetting officer of that centre approves them."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = _THROTTLES
    throttle_scope = "enrolment"

    @extend_schema(
        request=EnrolmentInput,
        responses={201: EnrolmentOutput},
        examples=[
            OpenApiExample(
                "Enrolment",
                value={
                    "username": "camille",
                    "password": "a-long-passphrase",
                    "email": "camille@example.org",
                    "phone": "+33 6 12 34 56 78",
                    "full_name": "Camille Martin",
                    "address": "5 rue de l'Hôtel de Ville, 06000 Nice",
                    "address_location": {"type": "Point", "coordinates": [7.2753, 43.6971]},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Pending in Nice",
                value={"id": 42, "status": "pending", "centre": 2},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = EnrolmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        resident = services.enrol_resident(**data.validated_data)
        return Response(EnrolmentOutput(resident).data, status=status.HTTP_201_CREATED)


class VettingInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class VettingOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()


class VettingActionView(APIView):
    """Approve, suspend or revoke a member of a centre the vetting officer serves."""

    permission_classes = [IsAuthenticated, requires("accounts.vet_member")]
    action: str = ""
    _services = {
        "approve": services.approve_member,
        "suspend": services.suspend_member,
        "revoke": services.revoke_member,
    }

    @extend_schema(
        request=VettingInput,
        responses=VettingOutput,
        examples=[
            OpenApiExample(
                "Suspension", value={"reason": "Repeated false reports"}, request_only=True
            ),
            OpenApiExample("Result", value={"id": 42, "status": "suspended"}, response_only=True),
        ],
    )
    def post(self, request: Request, member_id: int) -> Response:
        data = VettingInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_for_user(request.user, member_id)
        member = self._services[self.action](
            member, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(VettingOutput(member).data)
