"""What each role may do: the one registry of permissions.

A permission is an action code ``<app>.<verb>_<thing>``. Roles map to sets of them;
other apps add theirs with :func:`register` from their ``AppConfig.ready``. Which rows an
action reaches is decided by :mod:`havenwatch.core.tenancy`; whether the action is
allowed at all is decided here. Anything not granted is denied.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import OrganisationKind, Role


@dataclass(frozen=True)
class PermissionInfo:
    code: str
    label: str
    token_grantable: bool = True


_PERMISSIONS: dict[str, PermissionInfo] = {}
_ROLE_PERMISSIONS: dict[str, set[str]] = defaultdict(set)


def register(code: str, label, *, roles: list[str], token_grantable: bool = True) -> None:
    """Declare a permission and the roles that hold it."""
    _PERMISSIONS[code] = PermissionInfo(code=code, label=label, token_grantable=token_grantable)
    for role in roles:
        _ROLE_PERMISSIONS[role].add(code)
    _ROLE_PERMISSIONS[Role.PLATFORM_ADMIN].add(code)


def permissions_for_role(role: str | None) -> frozenset[str]:
    if role is None:
        return frozenset()
    return frozenset(_ROLE_PERMISSIONS.get(role, ()))


def all_permissions() -> dict[str, PermissionInfo]:
    return dict(_PERMISSIONS)


def is_known(code: str) -> bool:
    return code in _PERMISSIONS


R = Role
EVERY_ROLE = [r.value for r in Role]
STAFF = [R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR]

register("core.view_organisation", _("See organisations"), roles=EVERY_ROLE)
register("core.manage_organisation", _("Create and edit organisations"), roles=[], token_grantable=False)
register("core.view_port", _("See ports"), roles=EVERY_ROLE)
register("core.manage_port", _("Edit ports"), roles=[R.PORT_SECURITY_OFFICER], token_grantable=False)
register(
    "core.view_facility",
    _("See port facilities"),
    roles=[*STAFF, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR, R.AUDITOR, R.COMMITTEE_MEMBER,
           R.COMPANY_ACCESS_MANAGER],
)
register("core.manage_facility", _("Create and edit port facilities"), roles=[R.PORT_SECURITY_OFFICER],
         token_grantable=False)
register("core.view_membership", _("See users and their roles"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.COMPANY_ACCESS_MANAGER, R.AUDITOR])
register("core.manage_membership", _("Add users and change their roles"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.COMPANY_ACCESS_MANAGER],
         token_grantable=False)
register("core.view_security_level", _("See security levels"), roles=EVERY_ROLE)
register("core.change_security_level", _("Raise or lower security levels"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER], token_grantable=False)
register("core.acknowledge_security_level", _("Acknowledge security level changes"),
         roles=[R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR, R.PORT_SECURITY_OFFICER])
register("core.view_audit", _("Read the audit log"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.AUDITOR])
register("core.verify_audit", _("Verify the audit chain"), roles=[R.AUDITOR, R.PORT_SECURITY_OFFICER])
register("core.view_events", _("Follow the live event feed"),
         roles=[*STAFF, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR, R.AUDITOR, R.COMPANY_ACCESS_MANAGER,
                R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER])
register("core.manage_tokens", _("Create and revoke API tokens"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.COMPANY_ACCESS_MANAGER,
                R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER], token_grantable=False)
register("core.manage_webhooks", _("Manage webhooks"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.COMPANY_ACCESS_MANAGER,
                R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER], token_grantable=False)

# Roles that can change security state sign in with a second factor.
TOTP_REQUIRED_ROLES = frozenset(
    {R.PLATFORM_ADMIN, R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR,
     R.AUTHORITY_INVESTIGATOR}
)

K = OrganisationKind
AUTHORITIES = [K.PORT_AUTHORITY, K.CUSTOMS, K.POLICE, K.MARITIME_AUTHORITY]
# Which kinds of organisation a role can be held in.
ROLE_ORGANISATION_KINDS: dict[str, set[str]] = {
    R.PLATFORM_ADMIN: {K.PLATFORM},
    R.PORT_SECURITY_OFFICER: {K.PORT_AUTHORITY},
    R.FACILITY_SECURITY_OFFICER: {K.FACILITY_OPERATOR},
    R.CONTROL_ROOM_OPERATOR: {K.PORT_AUTHORITY, K.FACILITY_OPERATOR},
    R.GATE_GUARD: {K.FACILITY_OPERATOR, K.COMPANY},
    R.COMPANY_ACCESS_MANAGER: {k.value for k in K if k != K.PLATFORM},
    R.SHIPPING_AGENT: {K.SHIPPING_LINE},
    R.FORWARDER: {K.FORWARDER},
    R.HAULIER_PLANNER: {K.TRANSPORT_COMPANY},
    R.DRIVER: {K.TRANSPORT_COMPANY, K.COMPANY},
    R.AUTHORITY_INVESTIGATOR: {K.POLICE, K.CUSTOMS, K.MARITIME_AUTHORITY},
    R.COMMITTEE_MEMBER: {K.COMMITTEE, *AUTHORITIES, K.FACILITY_OPERATOR},
    R.AUDITOR: {K.MARITIME_AUTHORITY, K.PORT_AUTHORITY, K.PLATFORM},
}
