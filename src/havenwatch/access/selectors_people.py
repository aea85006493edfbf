"""Reading people, credentials and bans, restricted to what the principal may see."""

from __future__ import annotations

from django.db.models import QuerySet

from havenwatch.access.models import Credential, Person, PortBan
from havenwatch.access.services.screening import ban_check
from havenwatch.core.authz import require
from havenwatch.core.choices import AUTHORITY_KINDS
from havenwatch.core.models import Port
from havenwatch.core.principal import Principal


def person_list(*, principal: Principal) -> QuerySet[Person]:
    """Employers see their own staff; authorities that screen people see everyone."""
    if principal.has_perm("access.screen_people"):
        return Person.objects.restrict(principal, "access.screen_people").select_related("employer")
    return Person.objects.restrict(principal, "access.view_person").select_related("employer")


def credential_list(*, principal: Principal) -> QuerySet[Credential]:
    return Credential.objects.restrict(principal, "access.view_credential").select_related(
        "person", "port", "issued_by"
    )


def _is_authority(principal: Principal) -> bool:
    return principal.organisation is not None and principal.organisation.kind in AUTHORITY_KINDS


def ban_list(*, principal: Principal) -> QuerySet[PortBan]:
    """The ban files: authorities only (not even the platform's administrators)."""
    if not _is_authority(principal):
        return PortBan.objects.none()
    return PortBan.objects.restrict(principal, "access.manage_bans").select_related("person", "issued_by")


def ban_status_for(*, principal: Principal, person: Person, port: Port) -> str:
    """Hit, clear or unavailable for ``person`` at ``port``: the answer, never the file."""
    if not principal.has_perm("access.manage_bans"):
        require(principal, "access.check_ban")
    return str(ban_check(person=person, port=port))
