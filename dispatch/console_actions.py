"""The console's dispatch actions over its WebSocket: the REST API's services, unchanged."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from common.errors import NotAllowed
from dispatch import queries, services
from dispatch.payloads import intervention_payload
from live.actions import id_in, register
from reporting.queries import report_for_user


def _may_dispatch(user: User) -> None:
    if not user.has_perm("dispatch.dispatch_unit"):
        raise NotAllowed("Your role does not allow this.")


def dispatch(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _may_dispatch(user)
    report = report_for_user(user, id_in(message, "report"))
    unit = queries.unit_for_user(user, id_in(message, "unit"))
    intervention = services.dispatch_unit(
        report, unit=unit, operator=user, note=str(message.get("note") or "")[:2000]
    )
    return intervention_payload(intervention)


def transition(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _may_dispatch(user)
    intervention = queries.intervention_for_user(user, id_in(message, "intervention"))
    intervention = services.transition_intervention(
        intervention,
        to=str(message.get("to") or ""),
        by=user,
        outcome=str(message.get("outcome") or ""),
        note=str(message.get("note") or "")[:2000],
    )
    return intervention_payload(intervention)


def reassign(user: User, message: dict[str, Any]) -> dict[str, Any]:
    _may_dispatch(user)
    intervention = queries.intervention_for_user(user, id_in(message, "intervention"))
    unit = queries.unit_for_user(user, id_in(message, "unit"))
    return intervention_payload(
        services.reassign_intervention(intervention, unit=unit, operator=user)
    )


def register_console_actions() -> None:
    register("dispatch", dispatch)
    register("transition_intervention", transition)
    register("reassign_intervention", reassign)
