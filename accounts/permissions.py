"""Who may call what: DRF permission classes built on roles and vetting status."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import PUBLIC_ROLES, VettingStatus
from common.errors import NotAllowed

_STATUS_MESSAGES = {
    VettingStatus.PENDING: (
        "account_pending",
        "Your account is waiting for approval by your supervision centre.",
    ),
    VettingStatus.SUSPENDED: (
        "account_suspended",
        "Your account is suspended; contact your supervision centre.",
    ),
    VettingStatus.REVOKED: ("account_revoked", "Your account has been revoked."),
}


def refuse_unless_approved(user: Any) -> None:
    """Raise the contract's 403, saying why, for a member who is not (or no longer) approved."""
    if user.status != VettingStatus.APPROVED:
        code, message = _STATUS_MESSAGES[user.status]
        raise NotAllowed(message, code=code)


class IsApprovedMember(BasePermission):
    """An approved resident or business: the only people who may raise reports and alerts."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if user.role not in PUBLIC_ROLES:
            raise NotAllowed("Only residents and businesses may do this.", code="members_only")
        refuse_unless_approved(user)
        return True


def requires(permission: str) -> type[BasePermission]:
    """A permission class granting access to users whose role holds `permission`."""

    class HasPermission(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user.is_authenticated and request.user.has_perm(permission))

    HasPermission.__name__ = f"Requires_{permission.replace('.', '_')}"
    return HasPermission
