"""Signing in, the same way at every door (app token, console session, admin): the password,
django-axes' lockout, the second factor for staff, and the access trail.

- A wrong password or a wrong code counts as a failed sign-in for axes; after
  `VIGIE_LOGIN_FAILURES` of them, that username from that address is locked out for
  `VIGIE_LOGIN_LOCKOUT_MINUTES` (429 `locked_out` with `Retry-After`). A full sign-in resets
  the count.
- Staff (`STAFF_ROLES`) give the current code of their TOTP device (`otp`): none is a 401
  `otp_required` (the apps then ask for it), a wrong one a 401 `otp_invalid`, no device a 403
  `otp_not_set_up`. Residents and businesses are never asked.
- Every attempt leaves a row in the access trail: `login`, or `login_failed` with why.
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import status

from accounts.models import STAFF_ROLES, User, VettingStatus
from audit.models import Action
from audit.services import client_address, record
from common.errors import DomainError, NotAllowed, error_body


class InvalidCredentials(NotAllowed):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_credentials"
    message = "Unknown username or wrong password."


class OtpRequired(NotAllowed):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "otp_required"
    message = "Enter the 6-digit code of your authenticator app."


class OtpInvalid(NotAllowed):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "otp_invalid"
    message = "This code is wrong or already used: enter the one your app shows now."


class OtpNotSetUp(NotAllowed):
    code = "otp_not_set_up"
    message = (
        "Two-factor authentication is not set up for this account: ask an administrator "
        "to set it up (manage.py reset_otp)."
    )


class LockedOut(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "locked_out"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many failed sign-ins: try again in {minutes} min.",
            fields={},
        )
        self.headers = {"Retry-After": str(retry_after)}


def second_factor_required(user: User) -> bool:
    return bool(settings.VIGIE_STAFF_OTP) and user.role in STAFF_ROLES


def staff_device(user: User) -> TOTPDevice | None:
    """The staff member's authenticator (one per account: `reset_otp` replaces it)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


# --- django-axes hooks (settings.AXES_*) ------------------------------------------------------
def lockout_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """One counter per account name whatever its case ("Operator", "operator"), as usernames
    are unique without regard to case."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = getattr(request, "POST", {}).get("username")
    return str(username).casefold() if username else None


def retry_after(request: HttpRequest, username: str | None) -> int:
    """Seconds until this username+address may try again: the lockout counts from the last
    failure it recorded."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 60
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    last = AccessAttempt.objects.filter(
        username=lockout_username(None, {"username": username}), ip_address=address
    ).aggregate(last=Max("attempt_time"))["last"]
    if last is not None:
        seconds = math.ceil(seconds - (timezone.now() - last).total_seconds())
    return max(seconds, 1)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the contract's 429 instead of axes' page, on every door (the
    API's views raise `LockedOut` themselves; this also covers the admin's sign-in form)."""
    if isinstance(original_response, dict):  # axes' async middleware passes credentials here
        credentials, original_response = original_response, None
    if original_response is not None and original_response.status_code == 429:
        return original_response
    wait = retry_after(request, lockout_username(request, credentials))
    error = LockedOut(wait)
    response = JsonResponse(error_body(error.code, error.message), status=error.status_code)
    response["Retry-After"] = str(wait)
    return response


# --- the doors -----------------------------------------------------------------------------------
def count_failure(request: HttpRequest, username: str) -> None:
    """Tell axes about a failed sign-in it did not see (a wrong code: the password was right)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def refuse(request: HttpRequest, username: str, *, door: str, error: DomainError) -> DomainError:
    """Write the failed attempt to the trail and hand back the error to raise."""
    record(
        actor=None,
        action=Action.LOGIN_FAILED,
        username=username,
        detail={"door": door, "reason": error.code},
        request=request,
    )
    return error


def sign_in(
    request: HttpRequest,
    *,
    username: str,
    password: str,
    otp: str = "",
    door: str,
    roles: frozenset[str],
    wrong_role: NotAllowed,
) -> tuple[User, TOTPDevice | None]:
    """Check one attempt at a door that admits `roles`; raise the contract's error if it fails.

    Returns the user and the device that verified them (None when no second factor is asked).
    The caller then opens the session or issues the token and calls `signed_in`. Nothing here
    runs in a transaction that a refusal would roll back: the failure rows must stay.
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise refuse(
                request, username, door=door, error=LockedOut(retry_after(request, username))
            )
        raise refuse(request, username, door=door, error=InvalidCredentials())
    if user.status == VettingStatus.REVOKED:
        error = NotAllowed("This account has been revoked.", code="account_revoked")
        raise refuse(request, username, door=door, error=error)
    if user.role not in roles:
        raise refuse(request, username, door=door, error=wrong_role)
    if not second_factor_required(user):
        return user, None
    return user, _verify_code(request, user, username=username, otp=otp, door=door)


def _verify_code(
    request: HttpRequest, user: User, *, username: str, otp: str, door: str
) -> TOTPDevice:
    device = staff_device(user)
    if device is None:
        raise refuse(request, username, door=door, error=OtpNotSetUp())
    code = "".join(otp.split())  # "123 456" as some apps show it
    if not code:
        # The normal first step of a two-step form, not a failure to count.
        raise refuse(request, username, door=door, error=OtpRequired())
    with transaction.atomic():
        # Locked so two racing sign-ins cannot both spend the same code (django-otp keeps the
        # last step used); a run of wrong codes also slows the device down (1 s, 2 s, 4 s…).
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        verified = allowed and device.verify_token(code)
    if not verified:
        count_failure(request, username)
        if getattr(request, "axes_locked_out", False):
            raise refuse(
                request, username, door=door, error=LockedOut(retry_after(request, username))
            )
        raise refuse(request, username, door=door, error=OtpInvalid())
    return device


def signed_in(request: HttpRequest, user: User, *, door: str, device: Any = None) -> None:
    """Call once the session is open or the token issued."""
    if door == "token":
        # `login()` sends this for sessions; for a token it is sent here, as knox's own view
        # does: axes clears the failures (AXES_RESET_ON_SUCCESS), Django sets last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
    record(
        actor=user,
        action=Action.LOGIN,
        detail={"door": door, "second_factor": device is not None},
        request=request,
    )


def signed_out(request: HttpRequest, user: User, *, door: str) -> None:
    record(actor=user, action=Action.LOGOUT, detail={"door": door}, request=request)
