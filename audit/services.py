"""Writing the access trail. One function, called by every entry point that shows or changes
something a data-protection officer would ask about (issue 9, STYLE.md rule 2).

Call it inside the transaction of what it records: a change and its trail row commit together
or not at all (STYLE.md, "Writing the history/audit row after the commit").
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest

from audit.models import AccessRecord


def client_address(request: HttpRequest | Any | None) -> str | None:
    """The caller's address: behind `VIGIE_NUM_PROXIES` proxies, the last address they add
    (the same rule as the API's throttles), else the socket's peer."""
    if request is None:
        return None
    meta = getattr(request, "META", None) or {}
    proxies = cast("int | None", settings.REST_FRAMEWORK.get("NUM_PROXIES")) or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))] or None
    return meta.get("REMOTE_ADDR") or None


def record(
    *,
    actor: Any,
    action: str,
    target_type: str = "",
    target_id: int | None = None,
    target_label: str = "",
    centre_id: int | None = None,
    reason: str = "",
    detail: dict | None = None,
    request: HttpRequest | Any | None = None,
    username: str = "",
) -> AccessRecord:
    """Append one access record.

    `actor` is the signed-in user (or None / anonymous, e.g. a failed sign-in, when `username`
    says who was attempted). `request` gives the caller's address; a DRF `Request` or a plain
    `HttpRequest` both do.
    """
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    address = client_address(getattr(request, "_request", request))
    return AccessRecord.objects.create(
        actor_id=actor.pk if signed_in else None,
        actor_username=(actor.get_username() if signed_in else username)[:150],
        actor_role=(getattr(actor, "role", "") or "") if signed_in else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:100],
        centre_id=centre_id,
        reason=reason,
        detail=detail or {},
        ip_address=address,
    )
