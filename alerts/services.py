"""What happens to alert buttons and call points: presses, heartbeats, cancels, the registry.

Every entry point (signed HTTP, the business app, the DC-09 receiver, the admin, the
commands) goes through these functions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import MonitoringCentre, Organisation, User
from accounts.services import OutsideJurisdiction
from alerts.models import Alert, AlertKind, Device, DeviceKind, SeenSignature, new_secret
from alerts.payloads import device_payload
from alerts.signing import record_refusal  # noqa: F401 - part of this module's public face
from audit.models import Action
from audit.services import record
from common.errors import Conflict, DomainError, InvalidInput, NotAllowed, RuleBroken
from live.services import publish
from reporting.models import Category, Outcome, Source
from reporting.payloads import report_payload
from reporting.services.intake import create_report
from reporting.services.triage import close_report, reclassify_report

CATEGORY_OF_KIND: dict[str, str] = {
    AlertKind.PANIC: "panic_alarm",
    AlertKind.INTRUSION: "intrusion_alarm",
    AlertKind.MEDICAL: "medical_alarm",
    AlertKind.FIRE: "fire",
    AlertKind.CALL: "call_point_call",
}
DURESS_CATEGORY = "duress_alarm"
PIN_LENGTHS = range(4, 9)


class DeviceRevoked(NotAllowed):
    code = "device_revoked"
    message = "This device has been revoked."


class CancelWindowClosed(Conflict):
    code = "cancel_window_closed"


class WrongPin(RuleBroken):
    code = "wrong_pin"
    message = "Wrong PIN."


class NoPinSet(RuleBroken):
    code = "no_pin_set"
    message = "No cancel PIN is set for this button; call the supervision centre."


# --- the registry -------------------------------------------------------------------------


def _record_change(device: Device, *, by: User | None, change: str) -> None:
    """Who changed which device, in the change's own transaction (the access trail). `by`
    None: a management command, or the business app making its in-app button."""
    record(
        actor=by,
        action=Action.CHANGE,
        target_type="device",
        target_id=device.pk,
        target_label=device.name,
        centre_id=device.centre_id,
        detail={"change": change, "kind": device.kind},
    )


def check_pin(pin: str, *, field: str) -> None:
    if not (pin.isascii() and pin.isdigit() and len(pin) in PIN_LENGTHS):
        raise InvalidInput(fields={field: ["4 to 8 digits"]})


def check_dc09(account: str | None, key: str) -> None:
    """DC-09 account numbers are 3 to 16 hex digits; AES keys 128, 192 or 256 bits in hex."""
    hexdigits = set("0123456789abcdefABCDEF")
    if account is not None and not (3 <= len(account) <= 16 and set(account) <= hexdigits):
        raise InvalidInput(fields={"dc09_account": ["3 to 16 hexadecimal digits"]})
    if key and not (len(key) in (32, 48, 64) and set(key) <= hexdigits):
        raise InvalidInput(fields={"dc09_key": ["32, 48 or 64 hexadecimal digits"]})
    if key and account is None:
        raise InvalidInput(fields={"dc09_key": ["only with a DC-09 account"]})


def check_dc09_account_free(account: str | None, *, device: Device | None = None) -> None:
    if not account:
        return
    others = Device.objects.filter(dc09_account=account.upper())
    if device is not None and device.pk:
        others = others.exclude(pk=device.pk)
    if others.exists():
        raise Conflict(
            f"DC-09 account {account} is already in use.",
            code="duplicate_account",
            fields={"dc09_account": ["already used by another device"]},
        )


def _inside(centre: MonitoringCentre, location: Point) -> bool:
    return MonitoringCentre.objects.filter(pk=centre.pk, jurisdiction__covers=location).exists()


@transaction.atomic
def register_device(
    *,
    kind: str,
    centre: MonitoringCentre,
    location: Point,
    name: str,
    owner: User | None = None,
    organisation: Organisation | None = None,
    mobile: bool = False,
    in_app: bool = False,
    heartbeat_interval_s: int = 300,
    sip_uri: str = "",
    model_notes: str = "",
    cancel_pin: str = "",
    duress_pin: str = "",
    dc09_account: str | None = None,
    dc09_key: str = "",
    by: User | None = None,
) -> Device:
    """A new device with a fresh secret (read it from the returned row, once)."""
    if kind not in DeviceKind.values:
        raise InvalidInput(fields={"kind": [f"one of {', '.join(DeviceKind.values)}"]})
    if not _inside(centre, location):
        raise OutsideJurisdiction(
            f"The device's position is outside {centre.name}'s jurisdiction.",
            fields={"location": ["outside the centre's jurisdiction"]},
        )
    if heartbeat_interval_s < 10:
        raise InvalidInput(fields={"heartbeat_interval_s": ["at least 10"]})
    check_dc09(dc09_account, dc09_key)
    check_dc09_account_free(dc09_account)
    device = Device.objects.create(
        kind=kind,
        centre=centre,
        location=location,
        name=name.strip() or f"{DeviceKind(kind).label} at {location.y:.5f}, {location.x:.5f}",
        owner=owner,
        organisation=organisation,
        mobile=mobile,
        in_app=in_app,
        heartbeat_interval_s=heartbeat_interval_s,
        sip_uri=sip_uri,
        model_notes=model_notes,
        dc09_account=dc09_account.upper() if dc09_account else None,
        dc09_key=dc09_key.lower(),
    )
    if cancel_pin or duress_pin:
        device = set_pins(device, cancel_pin=cancel_pin, duress_pin=duress_pin)
    _record_change(device, by=by, change="create_device")
    return device


@transaction.atomic
def set_pins(device: Device, *, cancel_pin: str, duress_pin: str = "") -> Device:
    """The PIN that cancels a false alarm, and the duress PIN that only seems to."""
    check_pin(cancel_pin, field="cancel_pin")
    if duress_pin:
        check_pin(duress_pin, field="duress_pin")
        if duress_pin == cancel_pin:
            raise InvalidInput(fields={"duress_pin": ["must differ from the cancel PIN"]})
    device = Device.objects.select_for_update().get(pk=device.pk)
    device.cancel_pin = make_password(cancel_pin)
    device.duress_pin = make_password(duress_pin) if duress_pin else ""
    device.save(update_fields=["cancel_pin", "duress_pin"])
    return device


@transaction.atomic
def rotate_secret(device: Device, *, by: User | None = None) -> Device:
    """A new secret, effective at once: the old one is refused from this commit on."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    device.secret, device.secret_rotated_at = new_secret(), timezone.now()
    device.save(update_fields=["secret", "secret_rotated_at"])
    _record_change(device, by=by, change="rotate_secret")
    return device


@transaction.atomic
def revoke_device(device: Device, *, by: User | None = None) -> Device:
    device = Device.objects.select_for_update().get(pk=device.pk)
    device.status = Device.Status.REVOKED
    device.save(update_fields=["status"])
    _record_change(device, by=by, change="revoke_device")
    return device


def app_button_for(user: User) -> Device:
    """The in-app alert button of an approved business account, made on first use and kept
    at the business's registered address (which may have changed since)."""
    if user.address_location is None:
        raise RuleBroken(
            "Your account has no registered address; ask your supervision centre.",
            code="no_address",
        )
    device = Device.objects.filter(owner=user, in_app=True).first()
    if device is not None:
        if not device.location.equals_exact(user.address_location, 1e-9):
            device = _relocate(device, user.address_location)
        return device
    centre = user.centres.first()
    if centre is None:
        raise RuleBroken("Your account is not attached to a supervision centre.", code="no_centre")
    try:
        with transaction.atomic():
            return register_device(
                kind=DeviceKind.ALERT_BUTTON,
                centre=centre,
                location=user.address_location,
                name=user.full_name or user.address or user.username,
                owner=user,
                mobile=True,
                in_app=True,
                # The app is not a device that can be supervised: it never heartbeats.
                heartbeat_interval_s=365 * 24 * 3600,
            )
    except IntegrityError:  # a twin first press made it meanwhile
        return Device.objects.get(owner=user, in_app=True)


@transaction.atomic
def _relocate(device: Device, location: Point) -> Device:
    device = Device.objects.select_for_update().get(pk=device.pk)
    device.location = location
    device.save(update_fields=["location"])
    return device


# --- alerts -------------------------------------------------------------------------------


def _plausible(device: Device, location: Point) -> bool:
    """A sent position is used only if it is within the bound of the registered one and inside
    the device's own centre (whose operators answer it); an alarm with a wild position still
    goes out, at the registered place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_DWithin(location, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)"
            " FROM alerts_device WHERE id = %s",
            [location.x, location.y, settings.VIGIE_ALERT_POSITION_BOUND_M, device.pk],
        )
        row = cursor.fetchone()
    return bool(row and row[0]) and _inside(device.centre, location)


def _mark_alive(device: Device, now: Any) -> None:
    """A device that speaks is alive; one that was offline is announced back online."""
    came_back = Device.objects.filter(pk=device.pk, online=False).update(
        online=True, last_heartbeat_at=now
    )
    if came_back:
        device.online = True
        publish(device.centre_id, "device.online", device_payload(device, last_heartbeat_at=now))
    else:
        Device.objects.filter(pk=device.pk).update(last_heartbeat_at=now)
    device.last_heartbeat_at = now


def trigger_alert(
    device: Device, *, kind: str, channel: str, location: Point | None = None
) -> Alert:
    """A press becomes a critical report, in one transaction with its live event; the cameras
    are linked and the nearest PTZ cameras turned toward it after commit (a task)."""
    if kind not in AlertKind.values:
        raise InvalidInput(fields={"kind": [f"one of {', '.join(AlertKind.values)}"]})
    if not device.active:
        raise DeviceRevoked()
    used, notes = device.location, []
    if location is not None and device.mobile:
        if _plausible(device, location):
            used = location
        else:
            notes.append(
                f"The device sent {location.y:.5f}, {location.x:.5f}, too far from its "
                "registered place to trust: shown at the registered place."
            )
    description = f"{device.name}: {AlertKind(kind).label.lower()}."
    if device.sip_uri:
        description += f" Call back: {device.sip_uri}."
    description = " ".join([description, *notes])
    with transaction.atomic():
        report = create_report(
            source=Source.CALL_POINT
            if device.kind == DeviceKind.CALL_POINT
            else Source.ALERT_BUTTON,
            category=Category.objects.get(code=CATEGORY_OF_KIND[kind]),
            location=used,
            author=device.owner,
            description=description,
        )
        alert = Alert.objects.create(
            report=report,
            device=device,
            kind=kind,
            channel=channel,
            located_by="sender" if used is not device.location else "device",
        )
        _mark_alive(device, report.created_at)
        transaction.on_commit(lambda: _steer_later(alert.pk))
    return alert


def _steer_later(alert_id: int) -> None:
    from alerts.tasks import steer_cameras  # tasks import services: break the cycle here

    steer_cameras.delay(alert_id)


@transaction.atomic
def record_heartbeat(device: Device) -> Device:
    if not device.active:
        raise DeviceRevoked()
    _mark_alive(device, timezone.now())
    return device


def _locked_alert(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("report", "device").get(pk=alert.pk)


def cancel_alert(alert: Alert, *, pin: str) -> str:
    """The owner cancels a false alarm with their PIN, within the window.

    The duress PIN answers exactly like the cancel PIN would ("cancelled", or the same refusal
    once the window has closed), so whoever forces the person's hand sees nothing unusual,
    while operators see the report raised to a duress alarm, whenever it is entered, and the
    sender's own views of the report go quiet.
    """
    with transaction.atomic():
        alert = _locked_alert(alert)
        if alert.cancelled_at or alert.duress_at:
            return "cancelled"  # a second tap of the same cancel: same answer, nothing more
        device = alert.device
        duress = bool(device.duress_pin) and check_password(pin, device.duress_pin)
        if duress:
            _raise_duress(alert)  # committed whatever the answer below
        refusal = _cancel_refusal(alert)
        if refusal is None and not duress:
            if not check_password(pin, device.cancel_pin):
                refusal = WrongPin()
                # Counted in this transaction, which commits: the refusal is raised after it.
                alert.failed_pin_attempts += 1
                alert.save(update_fields=["failed_pin_attempts"])
            else:
                close_report(
                    alert.report,
                    operator=None,
                    outcome=Outcome.FALSE_ALARM,
                    note="Cancelled by the sender with their PIN.",
                )
                alert.cancelled_at = timezone.now()
                alert.save(update_fields=["cancelled_at"])
    if refusal is not None:
        raise refusal
    return "cancelled"


def _cancel_refusal(alert: Alert) -> DomainError | None:
    """Why this alert cannot be cancelled now, if it cannot."""
    deadline = alert.created_at + timedelta(seconds=settings.VIGIE_ALERT_CANCEL_WINDOW_S)
    if timezone.now() > deadline:
        return CancelWindowClosed(
            "It is too late to cancel this alert from here; call the supervision centre."
        )
    if alert.failed_pin_attempts >= settings.VIGIE_ALERT_PIN_ATTEMPTS:
        return Conflict("Too many wrong PINs; call the supervision centre.", code="pin_locked")
    if not alert.device.cancel_pin:
        return NoPinSet()
    return None


def _raise_duress(alert: Alert) -> None:
    now = timezone.now()
    alert.duress_at = now
    alert.save(update_fields=["duress_at"])
    report = reclassify_report(
        alert.report,
        category=Category.objects.get(code=DURESS_CATEGORY),
        note="DURESS: the duress PIN was entered to cancel. The sender is under threat; "
        "their screen shows the alert as cancelled.",
        # The sender's own app must not show the truth to whoever watches them.
        detach_author=True,
    )
    publish(
        report.centre_id,
        "escalation",
        {
            "kind": "duress",
            "report": report_payload(report),
            "device": alert.device_id,
            "audience": "operators",
            "reason": "the duress PIN was entered to cancel the alert",
        },
    )


def alert_state(alert: Alert) -> str:
    """What the sender's screen says: never more than the sender may safely see."""
    if alert.cancelled_at or alert.duress_at:
        return "cancelled"
    return {
        "new": "received",
        "acknowledged": "seen",
        "dispatched": "help_coming",
        "resolved": "resolved",
        "closed": "resolved",
    }[alert.report.status]


# --- supervision --------------------------------------------------------------------------


def mark_silent_devices_offline() -> list[Device]:
    """Devices that missed two heartbeats go offline, each announced once to its centre.

    Run by the beat; two overlapping runs are harmless: each device is claimed by a
    conditional update, and only the run whose update changed the row announces it.
    """
    now = timezone.now()
    silent = (
        Device.objects.filter(status=Device.Status.ACTIVE, online=True, in_app=False)
        .annotate(
            last_sign=Coalesce("last_heartbeat_at", "created_at"),
            allowed=ExpressionWrapper(
                F("heartbeat_interval_s") * Value(timedelta(seconds=2)),
                output_field=DurationField(),
            ),
        )
        .filter(last_sign__lt=Value(now) - F("allowed"))
        .order_by("pk")
    )
    with transaction.atomic():
        # Rows another run holds are skipped; once it commits they are no longer online.
        gone: list[Device] = list(silent.select_for_update(skip_locked=True, of=("self",)))
        Device.objects.filter(pk__in=[device.pk for device in gone]).update(online=False)
        for device in gone:
            device.online = False
            publish(device.centre_id, "device.offline", device_payload(device))
    SeenSignature.objects.filter(
        seen_at__lt=now - timedelta(seconds=2 * settings.VIGIE_DEVICE_CLOCK_SKEW_S + 60)
    ).delete()
    return gone


def alerts_of(user: User) -> Any:
    return Alert.objects.filter(device__owner=user).select_related("report", "device")


EDITABLE_FIELDS = frozenset(
    {"name", "sip_uri", "model_notes", "heartbeat_interval_s", "mobile", "dc09_account", "dc09_key"}
)


@transaction.atomic
def update_device(device: Device, **fields: Any) -> Device:
    """Change what the admin may change; the secret, status and PINs have their own services."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(fields={name: ["not editable here"] for name in sorted(unknown)})
    device = Device.objects.select_for_update().get(pk=device.pk)
    account = fields.get("dc09_account", device.dc09_account) or None
    key = fields.get("dc09_key", device.dc09_key) or ""
    check_dc09(account, key)
    check_dc09_account_free(account, device=device)
    fields["dc09_account"], fields["dc09_key"] = (account.upper() if account else None), key.lower()
    for name, value in fields.items():
        setattr(device, name, value)
    device.save(update_fields=[*fields])
    return device
