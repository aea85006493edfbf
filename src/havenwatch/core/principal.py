"""Who is acting: a user through one membership, a machine through an API token, or the system.

Every service takes a principal as ``actor``; every selector restricts rows by it. A user
with several memberships acts through one at a time (the organisation switcher), so what
one request may do never depends on the sum of all a person's jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from havenwatch.core.choices import Role
from havenwatch.core.permissions import permissions_for_role

if TYPE_CHECKING:
    from havenwatch.core.models import ApiToken, Membership, Organisation, User


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    organisation: Organisation | None = None
    role: str | None = None
    permissions: frozenset[str] = frozenset()
    token: ApiToken | None = None
    jurisdiction_port_ids: frozenset[int] = frozenset()
    active_port_ids: frozenset[int] = frozenset()
    is_system: bool = False
    label_override: str = field(default="", compare=False)

    # -- questions ------------------------------------------------------------
    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN

    @property
    def unrestricted(self) -> bool:
        """Platform administrators and the platform itself are not bound to one organisation."""
        return self.is_platform_admin or self.is_system

    @property
    def is_authenticated(self) -> bool:
        return self.is_system or self.user is not None or self.token is not None

    def has_perm(self, action: str) -> bool:
        return self.is_system or self.is_platform_admin or action in self.permissions

    @property
    def label(self) -> str:
        if self.label_override:
            return self.label_override
        if self.is_system:
            return "system"
        if self.token is not None:
            return f"token:{self.token.prefix}"
        if self.user is not None:
            return self.user.get_username()
        return "anonymous"

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def organisation_id(self) -> int | None:
        return self.organisation.pk if self.organisation is not None else None


ANONYMOUS = Principal()


def system_principal(label: str = "system") -> Principal:
    """The platform itself acting: the worker, the simulator, a migration."""
    return Principal(is_system=True, label_override=label)


def port_sets(organisation: Organisation) -> tuple[frozenset[int], frozenset[int]]:
    """The ports an organisation holds a jurisdiction over (granted, or as the port's
    authority), and the ports it is active in (those, and where it runs a facility).

    One query (a UNION of the three sources): this runs on every authenticated request, and
    nothing is cached, so a jurisdiction that ends is gone from the very next request.
    """
    from django.db.models import CharField, Value

    from havenwatch.core.models import Facility, Jurisdiction, Port

    # .order_by(): these are sets, and the models' default orderings would join Organisation
    # and Port into every query just to sort.
    def tagged(qs, field: str, tag: str):
        return qs.order_by().values_list(field, Value(tag, output_field=CharField()))

    rows = tagged(Jurisdiction.objects.filter(organisation=organisation), "port_id", "j").union(
        tagged(Port.objects.filter(authority=organisation), "pk", "j"),
        tagged(Facility.objects.filter(operator=organisation), "port_id", "a"),
        all=True,
    )
    jurisdiction, active = set(), set()
    for port_id, tag in rows:
        (jurisdiction if tag == "j" else active).add(port_id)
    active |= jurisdiction
    return frozenset(jurisdiction), frozenset(active)


def principal_for_membership(membership: Membership) -> Principal:
    organisation = membership.organisation
    jurisdiction, active = port_sets(organisation)
    return Principal(
        user=membership.user,
        organisation=organisation,
        role=membership.role,
        permissions=permissions_for_role(membership.role),
        jurisdiction_port_ids=jurisdiction,
        active_port_ids=active,
    )


def principal_for_token(token: ApiToken) -> Principal:
    """A machine acting for its organisation. It is no person: audit records name it
    ``token:<prefix>``, and the token's row says who created it."""
    organisation = token.organisation
    jurisdiction, active = port_sets(organisation)
    return Principal(
        user=None,
        organisation=organisation,
        role=None,
        permissions=frozenset(token.permissions),
        token=token,
        jurisdiction_port_ids=jurisdiction,
        active_port_ids=active,
    )
