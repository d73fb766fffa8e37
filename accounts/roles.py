"""Roles are Django groups with real permissions, kept in line with this table on every migrate.

Permissions of apps that are not installed yet are skipped, so the table can name what each
role will be allowed as the apps arrive, and the groups follow.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group, Permission

from accounts.models import Role

log = logging.getLogger(__name__)

_ACCOUNT_VIEW = ["accounts.view_monitoringcentre", "accounts.view_organisation"]
_TRIAGE = [
    "reporting.view_report",
    "reporting.triage_report",
    "reporting.view_incident",
    "cameras.view_camera",
]
_REPORT = ["reporting.add_report"]
_DISPATCH = ["dispatch.view_unit", "dispatch.view_intervention", "dispatch.dispatch_unit"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.RESIDENT: [*_REPORT],
    Role.BUSINESS: [*_REPORT],
    Role.OPERATOR: [*_ACCOUNT_VIEW, *_TRIAGE, *_DISPATCH],
    Role.SUPERVISOR: [
        *_ACCOUNT_VIEW,
        *_TRIAGE,
        *_DISPATCH,
        "dispatch.manage_unit",
        "notifications.add_broadcast",
        "notifications.view_broadcast",
        "notifications.view_pushmessage",
        "accounts.view_user",
        "accounts.view_vettingdecision",
        # The access trail of their centres (API and admin; issue 9), and what purged
        # reports leave behind.
        "audit.view_accessrecord",
        "privacy.view_reportstatistic",
    ],
    Role.VETTING: [
        *_ACCOUNT_VIEW,
        "accounts.view_user",
        "accounts.view_vettingdecision",
        "accounts.vet_member",
    ],
    Role.POLICE: [*_ACCOUNT_VIEW],
    Role.ADMIN: [
        *_ACCOUNT_VIEW,
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.add_monitoringcentre",
        "accounts.change_monitoringcentre",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_vettingdecision",
        "accounts.vet_member",
        *_TRIAGE,
        "reporting.view_category",
        "reporting.add_category",
        "reporting.change_category",
        "cameras.add_camera",
        "cameras.change_camera",
        "cameras.add_privacymask",
        "cameras.change_privacymask",
        "cameras.view_privacymask",
        *_DISPATCH,
        "dispatch.manage_unit",
        "dispatch.add_unit",
        "dispatch.change_unit",
        "alerts.view_device",
        "alerts.change_device",
        "alerts.view_alert",
        "alerts.view_refuseddevicerequest",
        "notifications.add_broadcast",
        "notifications.view_broadcast",
        "notifications.view_pushmessage",
        "notifications.view_notification",
        "notifications.view_pushdevice",
        "audit.view_accessrecord",
    ],
}


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            log.debug("permission %s not installed yet; role groups will get it later", name)
            continue
        found.append(permission)
    return found


def sync_roles() -> None:
    """Create the role groups and set their permissions to exactly the table's."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(names))


def group_for(role: str) -> Group:
    return Group.objects.get_or_create(name=role)[0]
