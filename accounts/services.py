"""State changes of accounts, centres and vetting. Every entry point calls these."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import (
    PUBLIC_ROLES,
    STAFF_ROLES,
    VETTING_TRANSITIONS,
    MonitoringCentre,
    Organisation,
    Role,
    User,
    VettingDecision,
    VettingStatus,
)
from accounts.queries import centre_covering, point_inside
from accounts.roles import group_for
from audit.models import Action
from audit.services import record
from common.errors import Conflict, IllegalTransition, InvalidInput, RuleBroken


class OutsideJurisdiction(RuleBroken):
    code = "outside_jurisdiction"
    message = "This place is outside the jurisdiction of every monitoring centre."


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput(fields={"password": list(exc.messages)}) from exc


def _refuse_duplicates(*, username: str, email: str, exclude: User | None = None) -> None:
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    if others.filter(username__iexact=username).exists():
        raise Conflict(
            "This username is taken.", code="duplicate_username", fields={"username": ["taken"]}
        )
    if email and others.filter(email__iexact=email).exists():
        raise Conflict(
            "An account already uses this email address.",
            code="duplicate_email",
            fields={"email": ["taken"]},
        )


@transaction.atomic
def enrol_resident(
    *,
    username: str,
    password: str,
    email: str,
    phone: str,
    full_name: str,
    address: str,
    address_location: Point,
) -> User:
    """A resident asks to join; they wait, pending, until a vetting officer approves them."""
    centre = centre_covering(address_location)
    if centre is None:
        raise OutsideJurisdiction(fields={"address_location": ["outside every jurisdiction"]})
    _refuse_duplicates(username=username, email=email)
    resident = User(
        username=username,
        email=email,
        phone=phone,
        full_name=full_name,
        address=address,
        address_location=address_location,
        role=Role.RESIDENT,
        status=VettingStatus.PENDING,
    )
    _check_password(password, resident)
    resident.set_password(password)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent enrolment took the name or address first
        raise Conflict("This username or email address is taken.", code="duplicate") from exc
    resident.groups.add(group_for(Role.RESIDENT))
    resident.centres.add(centre)
    VettingDecision.objects.create(
        member=resident, from_status="", to_status=VettingStatus.PENDING, reason="enrolled"
    )
    return resident


@transaction.atomic
def change_vetting_status(member: User, *, to: str, by: User | None, reason: str) -> User:
    """Move a resident or business along the vetting state machine, and record why.

    The row is locked and re-read, so two officers acting at once cannot both act on a stale
    status. Revoking also ends every app session the member holds.
    """
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.role not in PUBLIC_ROLES:
        raise RuleBroken("Only residents and businesses are vetted.", code="not_vettable")
    if to not in VETTING_TRANSITIONS[member.status]:
        raise IllegalTransition(
            f"A {member.status} account cannot become {to}.",
            fields={"status": [member.status]},
        )
    reinstating = member.status == VettingStatus.SUSPENDED and to == VettingStatus.APPROVED
    if (to != VettingStatus.APPROVED or reinstating) and not reason.strip():
        raise InvalidInput(
            fields={"reason": ["A reason is required to suspend, reinstate or revoke."]}
        )
    VettingDecision.objects.create(
        member=member, from_status=member.status, to_status=to, decided_by=by, reason=reason
    )
    member.status = to
    member.save(update_fields=["status"])
    if to in (VettingStatus.SUSPENDED, VettingStatus.REVOKED):
        # Their app is signed out: it signs in again and learns where they stand.
        end_all_app_tokens(member)
    return member


def approve_member(member: User, *, by: User | None, reason: str = "") -> User:
    return change_vetting_status(member, to=VettingStatus.APPROVED, by=by, reason=reason)


def suspend_member(member: User, *, by: User | None, reason: str) -> User:
    return change_vetting_status(member, to=VettingStatus.SUSPENDED, by=by, reason=reason)


def revoke_member(member: User, *, by: User | None, reason: str) -> User:
    return change_vetting_status(member, to=VettingStatus.REVOKED, by=by, reason=reason)


def issue_app_token(user: User) -> str:
    """A new app token (stored hashed by knox); the plain key is returned once, here."""
    _instance, key = AuthToken.objects.create(user=user)
    return key


def end_app_token(token: AuthToken) -> None:
    """Sign-out from an app: this token stops working at once (the others stay)."""
    AuthToken.objects.filter(pk=token.pk).delete()


def end_all_app_tokens(user: User) -> int:
    """Every app signed in as this account stops working at once; returns how many."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    return count


@transaction.atomic
def change_password(user: User, *, password: str) -> User:
    """Set a new password (checked by AUTH_PASSWORD_VALIDATORS) and sign out every app that
    holds a token for the account. Sessions end by themselves: Django ties them to the
    password's hash."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    end_all_app_tokens(user)
    return user


@transaction.atomic
def set_up_two_factor(user: User, *, by: User | None = None) -> TOTPDevice:
    """Give a staff member a new authenticator (TOTP) secret, replacing any previous one:
    enrolment, or a lost phone. Show `device.config_url` (otpauth://…) to them once, as a QR
    code or text for their app; the old device's codes stop working at once."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role not in STAFF_ROLES:
        raise RuleBroken("Residents and businesses do not use a second factor.", code="not_staff")
    replaced, _ = TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    record(
        actor=by,
        action=Action.CHANGE,
        target_type="user",
        target_id=user.pk,
        target_label=user.username,
        detail={"second_factor": "replaced" if replaced else "set_up"},
    )
    return device


@transaction.atomic
def ensure_organisation(name: str, *, kind: str = Organisation.Kind.CITY) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name, defaults={"kind": kind})
    return organisation


def as_multipolygon(geometry: Polygon | MultiPolygon) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if not isinstance(geometry, MultiPolygon):
        raise InvalidInput(
            f"A jurisdiction must be a Polygon or MultiPolygon, not {geometry.geom_type}."
        )
    if geometry.srid not in (None, 4326):
        geometry.transform(4326)
    geometry.srid = 4326
    if not geometry.valid:
        geometry = geometry.make_valid()  # type: ignore[attr-defined]  # GEOS ≥ 3.8, not in stubs
        if isinstance(geometry, Polygon):
            geometry = MultiPolygon(geometry, srid=4326)
    if not isinstance(geometry, MultiPolygon) or geometry.empty or geometry.area == 0:
        raise InvalidInput("A jurisdiction must enclose an area.", code="empty_jurisdiction")
    return geometry


@transaction.atomic
def create_centre(
    slug: str,
    *,
    name: str,
    jurisdiction: Polygon | MultiPolygon,
    reference_prefix: str,
    organisation: Organisation,
) -> tuple[MonitoringCentre, bool]:
    """Create the centre, or bring an existing one with this slug up to date."""
    centre = MonitoringCentre.objects.select_for_update().filter(slug=slug).first()
    created = centre is None
    centre = centre or MonitoringCentre(slug=slug)
    centre.name = name
    centre.jurisdiction = as_multipolygon(jurisdiction)
    centre.reference_prefix = reference_prefix
    centre.organisation = organisation
    try:
        centre.full_clean(exclude=["jurisdiction"])
    except DjangoValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc
    centre.save()
    return centre, created


@transaction.atomic
def create_user(
    username: str,
    *,
    role: str,
    centre: MonitoringCentre,
    password: str,
    email: str = "",
    full_name: str = "",
    address_location: Point | None = None,
) -> tuple[User, bool]:
    """Create an account made by the city (approved, unlike enrolment), or update one.

    An existing account keeps its vetting status (a revoked member stays revoked: vetting
    moves go through `change_vetting_status`), and its address unless a new point is given.
    Residents and businesses get an address point: the one given, which must lie in the
    centre's jurisdiction, or a point inside the jurisdiction.
    """
    if role not in Role.values:
        raise InvalidInput(fields={"role": [f"one of {', '.join(Role.values)}"]})
    existing = User.objects.select_for_update().filter(username__iexact=username).first()
    created = existing is None
    user = existing or User(username=username, status=VettingStatus.APPROVED)
    _refuse_duplicates(username=username, email=email, exclude=existing)
    if role in PUBLIC_ROLES:
        if address_location is not None:
            if not MonitoringCentre.objects.filter(
                pk=centre.pk, jurisdiction__covers=address_location
            ).exists():
                raise OutsideJurisdiction(f"This address point is outside {centre.name}.")
            user.address_location = address_location
        elif user.address_location is None:
            user.address_location = point_inside(centre)
    user.role = role
    user.email = email or user.email
    user.full_name = full_name or user.full_name
    user.is_staff, user.is_superuser = role in (Role.ADMIN, Role.SUPERVISOR), role == Role.ADMIN
    _check_password(password, user)
    password_changed = not created and not user.check_password(password)
    user.set_password(password)
    user.save()
    if password_changed:
        end_all_app_tokens(user)
    user.groups.set([group_for(role)])
    if role in PUBLIC_ROLES:
        user.centres.set([centre])
    else:
        user.centres.add(centre)
    if created:
        VettingDecision.objects.create(
            member=user,
            from_status="",
            to_status=VettingStatus.APPROVED,
            reason="account created by the city (create_user)",
        )
    return user, created
