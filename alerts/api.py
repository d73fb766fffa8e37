"""Alert buttons and call points (API.md): thin views over alerts.services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsApprovedMember, requires
from alerts import services
from alerts.models import Alert, AlertKind, Device
from alerts.payloads import device_payload
from alerts.queries import devices_visible_to
from alerts.signing import DeviceRateThrottle, DeviceSignatureAuthentication
from common.errors import InvalidInput, NotAllowed, NotFound
from common.geojson import PointField
from common.idempotency import idempotent

# What the sender's screen may say about an alert (services.alert_state).
ALERT_STATES = ["received", "seen", "help_coming", "resolved", "cancelled"]


class IsSignedDevice(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request, "device", None) is not None


class IsApprovedBusiness(IsApprovedMember):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.user.role != Role.BUSINESS:
            raise NotAllowed("Only business accounts have an alert button.", code="business_only")
        return True


class OptionalDeviceSignature(DeviceSignatureAuthentication):
    """For endpoints that take a device or an app user: no device headers, next class."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if not any(request.headers.get(name) for name in ("X-Device-Id", "X-Signature")):
            return None
        return super().authenticate(request)


class DeviceView(APIView):
    authentication_classes = [DeviceSignatureAuthentication]
    permission_classes = [IsSignedDevice]
    throttle_classes = [DeviceRateThrottle]


class TriggerInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    location = PointField(required=False)


class PressInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices, default=AlertKind.PANIC)
    location = PointField(required=False)


class CancelInput(serializers.Serializer):
    report = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    pin = serializers.CharField(max_length=20, trim_whitespace=True)


class PinsInput(serializers.Serializer):
    password = serializers.CharField(max_length=200, trim_whitespace=False)
    cancel_pin = serializers.CharField(max_length=8)
    duress_pin = serializers.CharField(max_length=8, required=False, allow_blank=True)


AlertCreated = inline_serializer(
    "AlertCreated",
    {
        "report": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "cancel_until": serializers.DateTimeField(),
    },
)


def _status_fields() -> dict[str, serializers.Field]:
    return {
        "report": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "kind": serializers.CharField(),
        "state": serializers.ChoiceField(choices=ALERT_STATES),
        "created_at": serializers.DateTimeField(),
        "cancel_until": serializers.DateTimeField(),
    }


AlertStatus = inline_serializer("AlertStatus", _status_fields())


def _cancel_until(alert: Alert) -> str:
    deadline = alert.created_at + timedelta(seconds=settings.VIGIE_ALERT_CANCEL_WINDOW_S)
    return deadline.isoformat()


def created(alert: Alert) -> Response:
    body = {
        "report": alert.report_id,
        "reference": alert.report.reference,
        "cancel_until": _cancel_until(alert),
    }
    return Response(body, status=status.HTTP_201_CREATED)


def alert_status(alert: Alert) -> dict[str, Any]:
    return {
        "report": alert.report_id,
        "reference": alert.report.reference,
        "kind": alert.kind,
        "state": services.alert_state(alert),
        "created_at": alert.created_at.isoformat(),
        "cancel_until": _cancel_until(alert),
    }


class Trigger(DeviceView):
    @extend_schema(request=TriggerInput, responses={201: AlertCreated})
    @idempotent
    def post(self, request: Request) -> Response:
        data = TriggerInput(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.trigger_alert(
            request.device, channel=Alert.Channel.HTTP, **data.validated_data
        )
        return created(alert)


class Heartbeat(DeviceView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.record_heartbeat(request.device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Press(APIView):
    """The one-tap alert button of an approved business's app."""

    permission_classes = [IsApprovedBusiness]
    throttle_classes = [UserRateThrottle]

    @extend_schema(request=PressInput, responses={201: AlertCreated})
    @idempotent
    def post(self, request: Request) -> Response:
        data = PressInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.app_button_for(request.user)
        alert = services.trigger_alert(device, channel=Alert.Channel.APP, **data.validated_data)
        return created(alert)


def _alert_of_sender(request: Request, report_id: int) -> Alert:
    """The alert, if this device or this business account raised it; else the contract's 404."""
    alerts = Alert.objects.select_related("report", "device")
    device = getattr(request, "device", None)
    if device is not None:
        alerts = alerts.filter(device=device)
    elif request.user.is_authenticated and request.user.role == Role.BUSINESS:
        alerts = alerts.filter(device__owner=request.user)
    else:
        alerts = alerts.none()
    alert = alerts.filter(report_id=report_id).first()
    if alert is None:
        raise NotFound("No such alert.")
    return alert


class Cancel(APIView):
    """Cancel a false alarm with the PIN (the device itself, or the business's app)."""

    authentication_classes = [OptionalDeviceSignature, TokenAuthentication, SessionAuthentication]
    permission_classes = []
    throttle_classes = [DeviceRateThrottle, UserRateThrottle]

    def check_permissions(self, request: Request) -> None:
        if getattr(request, "device", None) is None:
            IsApprovedBusiness().has_permission(request, self) or self.permission_denied(request)

    @extend_schema(
        request=CancelInput,
        responses={
            200: AlertStatus,
            409: OpenApiResponse(description="cancel_window_closed, pin_locked"),
            422: OpenApiResponse(description="wrong_pin, no_pin_set"),
        },
    )
    def post(self, request: Request) -> Response:
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        alert = _alert_of_sender(request, data.validated_data["report"])
        services.cancel_alert(alert, pin=data.validated_data["pin"])
        alert.refresh_from_db()
        return Response(alert_status(alert))


class AlertDetail(APIView):
    """What the shop's page shows: where its alert stands (never more than it may see)."""

    permission_classes = [IsApprovedBusiness]

    @extend_schema(responses=AlertStatus)
    def get(self, request: Request, report_id: int) -> Response:
        return Response(alert_status(_alert_of_sender(request, report_id)))


class CurrentAlerts(APIView):
    permission_classes = [IsApprovedBusiness]

    @extend_schema(responses=inline_serializer("AlertStatusList", _status_fields(), many=True))
    def get(self, request: Request) -> Response:
        alerts = services.alerts_of(request.user)[:10]
        return Response([alert_status(alert) for alert in alerts])


class DeviceList(APIView):
    """The devices of the operator's centres; `?online=false`: the silent ones (the console
    reads them on connect, then follows `device.offline` / `device.online` events)."""

    permission_classes = [IsAuthenticated, requires("reporting.triage_report")]

    @extend_schema(
        parameters=[OpenApiParameter("online", bool)],
        responses=inline_serializer("DeviceList", {"id": serializers.IntegerField()}, many=True),
    )
    def get(self, request: Request) -> Response:
        devices = devices_visible_to(request.user).filter(status=Device.Status.ACTIVE)
        online = request.query_params.get("online")
        if online is not None:
            if online not in ("true", "false"):
                raise InvalidInput(fields={"online": ["true or false"]})
            devices = devices.filter(online=online == "true")
        return Response([device_payload(device) for device in devices.order_by("name")[:1000]])


class Pins(APIView):
    """A business sets the PINs of its in-app button (its password confirms it is them)."""

    permission_classes = [IsApprovedBusiness]

    @extend_schema(request=PinsInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = PinsInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.check_password(data.validated_data["password"]):
            raise NotAllowed("Wrong password.", code="wrong_password")
        device = services.app_button_for(request.user)
        services.set_pins(
            device,
            cancel_pin=data.validated_data["cancel_pin"],
            duress_pin=data.validated_data.get("duress_pin", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
